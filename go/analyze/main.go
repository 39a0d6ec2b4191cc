// Command analyze inspects Go source files with go/parser and go/build and
// prints, as JSON, what the builder needs to compile each one as a Vercel
// handler:
//
//   - the package name and the handler function (the first exported top-level
//     function without receiver whose parameters are exactly
//     (http.ResponseWriter, *http.Request), whatever name net/http is imported as);
//   - the byte offsets of every identifier in the file that refers to that
//     function, so the builder can rename it without touching anything else;
//   - the package name of every other .go file in the same directory, so files
//     of a different package can be left out of the build;
//   - whether `go build` would ignore the file for the target platform and
//     tags (file name, build constraints, cgo), and why;
//   - the first place where the handler's package, or a package of the same
//     module that it imports, uses response streaming (http.Flusher,
//     http.ResponseController, http.NewResponseController or a
//     "text/event-stream" string).
//
// Usage:
//
//	analyze [-goos GOOS] [-goarch GOARCH] [-tags a,b] [-module-root DIR -module-path PATH] [-conflicts] [--] FILE...
//
// The output is one JSON object {"files":[...]} with one entry per FILE, in
// argument order: {"file":FILE,"ok":{...}} or
// {"file":FILE,"error":{"message":...,"line":N,"column":N}}. The exit status
// is 0 whatever the files contain, so the caller can tell a user error from a
// crash of this program; 2 means the command line itself is wrong.
//
// This program is compiled with the project's Go, which may be as old as
// 1.13: no generics, no `any`, no os.ReadDir/os.ReadFile.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/scanner"
	"go/token"
	"io"
	"io/ioutil"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type sibling struct {
	File        string `json:"file"`
	PackageName string `json:"packageName"`
	// Regular is false for anything that is not a regular file (FIFO,
	// socket, device, dangling symlink); such a file is never opened and
	// its PackageName is "".
	Regular bool `json:"regular"`
	// HandlerNameOffsets (with -conflicts, for a file of the handler's
	// package): the byte offsets of the file's own top-level declaration
	// named like the handler and of its references to it in that file.
	HandlerNameOffsets []int `json:"handlerNameOffsets"`
}

// streamingUse is the first place where a package uses response streaming.
type streamingUse struct {
	File string `json:"file"`
	Line int    `json:"line"`
	What string `json:"what"`
}

type analysis struct {
	PackageName   string `json:"packageName"`
	FunctionName  string `json:"functionName"`
	RenameOffsets []int  `json:"renameOffsets"`
	// FunctionOffset is the byte offset of the handler's name in its
	// declaration (-1 without a handler).
	FunctionOffset int `json:"functionOffset"`
	// HTTPName is a name net/http is imported under in the file ("." for a
	// dot import); "" without a handler.
	HTTPName  string        `json:"httpName"`
	Siblings  []sibling     `json:"siblings"`
	Ignored   *string       `json:"ignored"`
	Streaming *streamingUse `json:"streaming"`
}

type fileError struct {
	Message string `json:"message"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
}

type fileResult struct {
	File  string     `json:"file"`
	Ok    *analysis  `json:"ok,omitempty"`
	Error *fileError `json:"error,omitempty"`
}

type output struct {
	Files []fileResult `json:"files"`
}

const usage = "usage: analyze [-goos GOOS] [-goarch GOARCH] [-tags a,b] [-module-root DIR -module-path PATH] [-conflicts] [--] FILE...\n"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program: it writes the JSON to stdout and returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("analyze", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		io.WriteString(stderr, usage)
		flags.PrintDefaults()
	}
	goos := flags.String("goos", build.Default.GOOS, "target operating system")
	goarch := flags.String("goarch", build.Default.GOARCH, "target architecture")
	tags := flags.String("tags", "", "comma-separated build tags")
	moduleRoot := flags.String("module-root", "", "directory of the go.mod of the handler's module")
	modulePath := flags.String("module-path", "", "module path declared in that go.mod")
	conflicts := flags.Bool("conflicts", false, "report the siblings' declarations named like the handler")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if flags.NArg() == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	if (*moduleRoot == "") != (*modulePath == "") {
		io.WriteString(stderr, "analyze: -module-root and -module-path go together\n")
		return 2
	}
	a := newAnalyzer(*goos, *goarch, splitTags(*tags), *moduleRoot, *modulePath)
	a.conflicts = *conflicts
	out := output{Files: make([]fileResult, 0, flags.NArg())}
	for _, file := range flags.Args() {
		out.Files = append(out.Files, a.analyze(file))
	}
	if err := json.NewEncoder(stdout).Encode(out); err != nil {
		return 1
	}
	return 0
}

// splitTags accepts the forms `go build -tags` accepts: comma-separated, or
// (the older form) space-separated.
func splitTags(s string) []string {
	tags := []string{}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		tags = append(tags, t)
	}
	return tags
}

// analyzer holds the target and everything read so far, so that several
// files of one directory (or packages imported by several entries) are
// listed, read and parsed once.
type analyzer struct {
	ctxt   build.Context // the target; OpenFile reads through the cache
	target string        // "linux/amd64", or "linux/amd64 with tags a,b"

	// nameCtxt is ctxt with every file reading as a bare package clause:
	// MatchFile then judges the file name alone.
	nameCtxt build.Context
	// goBuildLines: this Go's go/build honours //go:build lines (Go 1.17+;
	// older ones only read // +build).
	goBuildLines bool

	conflicts  bool   // -conflicts
	moduleRoot string // as given; "" without -module-root
	moduleAbs  string
	modulePath string

	dirs     map[string]*dirInfo // by absolute directory
	files    map[string]*srcFile // by absolute path
	packages map[string]*pkgInfo // imported packages, by absolute directory
	goMods   map[string]bool     // absolute directory → has a go.mod
}

type dirInfo struct {
	names   []string        // sorted; directories left out
	regular map[string]bool // name → regular file (symlinks followed)
}

// srcFile caches one source file: its bytes and its parses.
type srcFile struct {
	src     []byte
	readErr error
	read    bool

	header parse // ImportsOnly|ParseComments
	full   parse // ParseComments

	scanDone bool
	hit      *streamHit
}

// parse is one parse of a file, done at most once.
type parse struct {
	done bool
	fset *token.FileSet
	file *ast.File
	err  error
}

type streamHit struct {
	pos  token.Position
	what string
}

type pkgInfo struct {
	hit     *streamHit
	hitName string // base name of the file of hit
	imports []string
}

func newAnalyzer(goos, goarch string, tags []string, moduleRoot, modulePath string) *analyzer {
	a := &analyzer{
		moduleRoot: moduleRoot,
		modulePath: strings.TrimSuffix(modulePath, "/"),
		dirs:       map[string]*dirInfo{},
		files:      map[string]*srcFile{},
		packages:   map[string]*pkgInfo{},
		goMods:     map[string]bool{},
	}
	if moduleRoot != "" {
		if abs, err := filepath.Abs(moduleRoot); err == nil {
			a.moduleAbs = abs
		}
	}
	ctxt := build.Default
	ctxt.GOOS = goos
	ctxt.GOARCH = goarch
	ctxt.BuildTags = tags
	ctxt.CgoEnabled = false
	ctxt.UseAllFiles = false
	ctxt.JoinPath = filepath.Join
	a.ctxt = ctxt
	a.ctxt.OpenFile = func(path string) (io.ReadCloser, error) {
		src, err := a.source(path)
		if err != nil {
			return nil, err
		}
		return ioutil.NopCloser(bytes.NewReader(src)), nil
	}
	a.nameCtxt = ctxt
	a.nameCtxt.OpenFile = func(string) (io.ReadCloser, error) {
		return ioutil.NopCloser(strings.NewReader("package p\n")), nil
	}
	probe := ctxt
	probe.OpenFile = func(string) (io.ReadCloser, error) {
		return ioutil.NopCloser(strings.NewReader("//go:build vercel_analyze_never_set\n\npackage p\n")), nil
	}
	if ok, err := probe.MatchFile(string(filepath.Separator), "p.go"); err == nil && !ok {
		a.goBuildLines = true
	}
	a.target = goos + "/" + goarch
	if len(tags) > 0 {
		a.target += " with tags " + strings.Join(tags, ",")
	}
	return a
}

func (a *analyzer) analyze(file string) fileResult {
	result := fileResult{File: file}
	fail := func(message string) fileResult {
		result.Error = &fileError{Message: message}
		return result
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return fail(err.Error())
	}
	// Stat before anything opens the file: reading a FIFO blocks forever.
	info, err := os.Stat(file)
	if err != nil {
		return fail(err.Error())
	}
	if !info.Mode().IsRegular() {
		return fail(file + " is not a regular file")
	}
	sf := a.file(abs)
	if _, err := a.source(abs); err != nil {
		return fail(err.Error())
	}
	f, err := a.fullParse(abs, sf)
	if err != nil {
		result.Error = toFileError(err)
		return result
	}
	res := &analysis{PackageName: f.Name.Name, RenameOffsets: []int{}, FunctionOffset: -1, Siblings: []sibling{}}
	if fn := findHandler(f); fn != nil {
		res.FunctionName = fn.Name.Name
		res.RenameOffsets = referencesTo(sf.full.fset, f, fn)
		res.FunctionOffset = sf.full.fset.Position(fn.Name.Pos()).Offset
		res.HTTPName = httpName(f)
	}
	dir, name := filepath.Dir(abs), filepath.Base(abs)
	res.Siblings = a.siblings(dir, name)
	if a.conflicts && res.FunctionName != "" {
		for i := range res.Siblings {
			s := &res.Siblings[i]
			if s.Regular && s.PackageName == res.PackageName {
				s.HandlerNameOffsets = a.declarationNamed(filepath.Join(dir, s.File), res.FunctionName)
			}
		}
	}
	if reason, _ := a.exclusion(dir, name); reason != "" {
		msg := fmt.Sprintf("Go ignores %s when building for %s: %s", file, a.target, reason)
		res.Ignored = &msg
	}
	res.Streaming = a.streaming(file, abs, f.Name.Name)
	result.Ok = res
	return result
}

func toFileError(err error) *fileError {
	if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
		first := list[0]
		return &fileError{Message: first.Msg, Line: first.Pos.Line, Column: first.Pos.Column}
	}
	return &fileError{Message: err.Error()}
}

// ---- files and directories ----

func (a *analyzer) file(abs string) *srcFile {
	sf := a.files[abs]
	if sf == nil {
		sf = &srcFile{}
		a.files[abs] = sf
	}
	return sf
}

// dir lists a directory once. Symlinks are followed to tell regular files
// from the rest; directories (and symlinks to directories) are left out.
func (a *analyzer) dir(abs string) *dirInfo {
	if d, ok := a.dirs[abs]; ok {
		return d
	}
	d := &dirInfo{regular: map[string]bool{}}
	a.dirs[abs] = d
	// ioutil.ReadDir rather than os.ReadDir: the analyzer is compiled with
	// the project's Go, which may be as old as 1.13. It sorts by name.
	entries, err := ioutil.ReadDir(abs)
	if err != nil {
		return d
	}
	for _, entry := range entries {
		mode := entry.Mode()
		if mode&os.ModeSymlink != 0 {
			target, err := os.Stat(filepath.Join(abs, entry.Name()))
			if err != nil {
				mode = os.ModeIrregular // dangling: not a regular file
			} else {
				mode = target.Mode()
			}
		}
		if mode.IsDir() {
			continue
		}
		d.names = append(d.names, entry.Name())
		d.regular[entry.Name()] = mode.IsRegular()
	}
	return d
}

// source returns the file's bytes, read once. It refuses anything that is
// not a regular file without opening it.
func (a *analyzer) source(abs string) ([]byte, error) {
	sf := a.file(abs)
	if !sf.read {
		sf.read = true
		info, err := os.Stat(abs)
		switch {
		case err != nil:
			sf.readErr = err
		case !info.Mode().IsRegular():
			sf.readErr = fmt.Errorf("%s is not a regular file", abs)
		default:
			sf.src, sf.readErr = ioutil.ReadFile(abs)
		}
	}
	return sf.src, sf.readErr
}

// parseOnce parses the file with mode into p the first time, and returns
// that parse.
func (a *analyzer) parseOnce(abs string, p *parse, mode parser.Mode) (*ast.File, error) {
	if !p.done {
		p.done = true
		src, err := a.source(abs)
		if err != nil {
			p.err = err
		} else {
			p.fset = token.NewFileSet()
			p.file, p.err = parser.ParseFile(p.fset, abs, src, mode)
		}
	}
	return p.file, p.err
}

// headerParse parses the package clause, imports and the comments before
// them.
func (a *analyzer) headerParse(abs string) (*ast.File, error) {
	return a.parseOnce(abs, &a.file(abs).header, parser.ImportsOnly|parser.ParseComments)
}

// fullParse parses the whole file (with comments), once.
func (a *analyzer) fullParse(abs string, sf *srcFile) (*ast.File, error) {
	return a.parseOnce(abs, &sf.full, parser.ParseComments)
}

// siblings reads only the package clause of every other non-test .go file in
// the entry's directory; anything that is not a regular file is listed
// unread.
func (a *analyzer) siblings(dir, self string) []sibling {
	d := a.dir(dir)
	siblings := []sibling{}
	for _, name := range d.names {
		if name == self || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if !d.regular[name] {
			siblings = append(siblings, sibling{File: name, Regular: false, HandlerNameOffsets: []int{}})
			continue
		}
		pkg, ok := a.packageName(filepath.Join(dir, name))
		if !ok {
			continue
		}
		siblings = append(siblings, sibling{File: name, PackageName: pkg, Regular: true, HandlerNameOffsets: []int{}})
	}
	return siblings
}

// declarationNamed returns the byte offsets, in the file abs, of its own
// top-level declaration named name (a function, variable, constant or
// type: what would clash with the handler in one package) and of every
// identifier of the file that the parser resolves to it; [] when it has
// none or does not parse.
func (a *analyzer) declarationNamed(abs, name string) []int {
	offsets := []int{}
	sf := a.file(abs)
	f, err := a.fullParse(abs, sf)
	if err != nil {
		return offsets
	}
	obj := f.Scope.Lookup(name)
	if obj == nil {
		return offsets
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name && id.Obj == obj {
			offsets = append(offsets, sf.full.fset.Position(id.Pos()).Offset)
		}
		return true
	})
	sort.Ints(offsets)
	return offsets
}

func (a *analyzer) packageName(abs string) (string, bool) {
	if f, err := a.headerParse(abs); err == nil {
		return f.Name.Name, true
	}
	src, err := a.source(abs)
	if err != nil {
		return "", false
	}
	f, err := parser.ParseFile(token.NewFileSet(), abs, src, parser.PackageClauseOnly)
	if err != nil {
		return "", false
	}
	return f.Name.Name, true
}

// ---- build constraints ----

// exclusion says why `go build` would leave the file out for the target, in
// words for a user ("its name ends in _windows.go"), or "" when it would
// build it. err is go/build's complaint about the file's header (a malformed
// constraint, an unreadable file): go build would report that itself, so it
// is not a reason to ignore the file. The file must be a regular file (it is
// read).
func (a *analyzer) exclusion(dir, name string) (string, error) {
	switch {
	case !strings.HasSuffix(name, ".go"):
		return "it is not a .go file", nil
	case strings.HasPrefix(name, "_"):
		return "its name starts with _", nil
	case strings.HasPrefix(name, "."):
		return "its name starts with .", nil
	case strings.HasSuffix(name, "_test.go"):
		return "it is a test file (its name ends in _test.go)", nil
	}
	if ok, err := a.nameCtxt.MatchFile(dir, name); err == nil && !ok {
		return "its name ends in " + osArchSuffix(&a.nameCtxt, name), nil
	}
	ok, err := a.ctxt.MatchFile(dir, name)
	if err != nil {
		return "", err
	}
	header, herr := a.headerParse(filepath.Join(dir, name))
	if !ok {
		if herr != nil {
			return "its build constraints are not satisfied", nil
		}
		return constraintPhrase(header, a.goBuildLines), nil
	}
	if herr == nil && !a.ctxt.CgoEnabled && importsC(header) {
		return `it imports "C" and cgo is disabled (CGO_ENABLED=0)`, nil
	}
	return "", nil
}

// builds reports whether go build would compile the file for the target:
// a regular, non-test .go file that no rule excludes.
func (a *analyzer) builds(dir, name string, regular bool) bool {
	if !regular {
		return false
	}
	reason, err := a.exclusion(dir, name)
	return reason == "" && err == nil
}

// osArchSuffix names the _GOOS, _GOARCH or _GOOS_GOARCH suffix that rules the
// file out, by asking go/build about the suffixes alone.
func osArchSuffix(nameCtxt *build.Context, name string) string {
	parts := strings.Split(strings.TrimSuffix(name, ".go"), "_")
	n := len(parts)
	if n >= 2 {
		if ok, _ := nameCtxt.MatchFile(string(filepath.Separator), "x_"+parts[n-1]+".go"); !ok {
			return "_" + parts[n-1] + ".go"
		}
	}
	if n >= 3 {
		return "_" + parts[n-2] + "_" + parts[n-1] + ".go"
	}
	return name
}

// constraintPhrase describes the file's build constraint lines: the
// //go:build line when this Go honours it, else the // +build lines.
func constraintPhrase(f *ast.File, goBuildLines bool) string {
	var goBuild string
	var plus []string
	for _, group := range f.Comments {
		if group.Pos() >= f.Package {
			break
		}
		for _, c := range group.List {
			if expr, ok := directive(c.Text, "//go:build"); ok {
				goBuild = expr
			} else if strings.HasPrefix(c.Text, "//") {
				if expr, ok := directive(strings.TrimSpace(c.Text[2:]), "+build"); ok {
					plus = append(plus, expr)
				}
			}
		}
	}
	switch {
	case goBuild != "" && goBuildLines:
		return "its //go:build line (" + goBuild + ") is not satisfied"
	case len(plus) == 1:
		return "its // +build line (" + plus[0] + ") is not satisfied"
	case len(plus) > 1:
		return "its // +build lines (" + strings.Join(plus, "; ") + ") are not satisfied"
	}
	return "its build constraints are not satisfied"
}

// directive returns the rest of text after word when text is word followed
// by a space, tab or nothing.
func directive(text, word string) (string, bool) {
	if !strings.HasPrefix(text, word) {
		return "", false
	}
	rest := text[len(word):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func importsC(f *ast.File) bool {
	for _, imp := range f.Imports {
		if path, err := strconv.Unquote(imp.Path.Value); err == nil && path == "C" {
			return true
		}
	}
	return false
}

// ---- the handler ----

// httpNames returns the local names under which net/http is imported: "http"
// by default, the alias when renamed, "." for a dot import.
func httpNames(file *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range file.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil || path != "net/http" {
			continue
		}
		if imp.Name != nil {
			names[imp.Name.Name] = true
		} else {
			names["http"] = true
		}
	}
	return names
}

// httpName returns the name a handler's signature can be written with:
// "http" when net/http is imported under it, else its alias, else "." for a
// dot import (the names sorted, for a stable answer).
func httpName(file *ast.File) string {
	names := httpNames(file)
	if names["http"] {
		return "http"
	}
	var usable []string
	for name := range names {
		if name != "_" && name != "." {
			usable = append(usable, name)
		}
	}
	sort.Strings(usable)
	if len(usable) > 0 {
		return usable[0]
	}
	if names["."] {
		return "."
	}
	return ""
}

func findHandler(file *ast.File) *ast.FuncDecl {
	names := httpNames(file)
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !fn.Name.IsExported() {
			continue
		}
		if isHandlerSignature(fn.Type, names) {
			return fn
		}
	}
	return nil
}

func isHandlerSignature(ft *ast.FuncType, httpNames map[string]bool) bool {
	var types []ast.Expr
	for _, field := range ft.Params.List {
		n := len(field.Names)
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			types = append(types, field.Type)
		}
	}
	if len(types) != 2 {
		return false
	}
	star, ok := types[1].(*ast.StarExpr)
	return ok && isHTTPType(types[0], "ResponseWriter", httpNames) &&
		isHTTPType(star.X, "Request", httpNames)
}

func isHTTPType(expr ast.Expr, name string, httpNames map[string]bool) bool {
	switch t := expr.(type) {
	case *ast.SelectorExpr:
		pkg, ok := t.X.(*ast.Ident)
		return ok && httpNames[pkg.Name] && t.Sel.Name == name
	case *ast.Ident:
		return httpNames["."] && t.Name == name
	}
	return false
}

// referencesTo lists the byte offsets of the function's own name and of every
// identifier in the file that the parser resolved to it. Selector names
// (x.Handler), struct fields and method names never resolve to a top-level
// function, so they are left alone.
func referencesTo(fset *token.FileSet, file *ast.File, fn *ast.FuncDecl) []int {
	target := fn.Name.Obj
	var offsets []int
	ast.Inspect(file, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if ok && id.Name == fn.Name.Name && (id == fn.Name || (target != nil && id.Obj == target)) {
			offsets = append(offsets, fset.Position(id.Pos()).Offset)
		}
		return true
	})
	sort.Ints(offsets)
	return offsets
}

// ---- streaming ----

// streamingNames are the net/http names whose use means response streaming.
var streamingNames = map[string]bool{
	"Flusher":               true,
	"ResponseController":    true,
	"NewResponseController": true,
}

// findStreaming returns the first (by position) use of response streaming in
// a parsed file: a reference to one of streamingNames through a name
// net/http is imported as, or a string literal containing
// "text/event-stream" in any case.
func findStreaming(fset *token.FileSet, file *ast.File) *streamHit {
	names := httpNames(file)
	delete(names, ".")
	delete(names, "_")
	var first token.Pos
	var what string
	record := func(pos token.Pos, w string) {
		if first == token.NoPos || pos < first {
			first, what = pos, w
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			// Obj == nil: the name is not a local declaration shadowing
			// the import (package names are never resolved by the parser).
			if id, ok := x.X.(*ast.Ident); ok && names[id.Name] && id.Obj == nil && streamingNames[x.Sel.Name] {
				record(x.Pos(), "http."+x.Sel.Name)
			}
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				s, err := strconv.Unquote(x.Value)
				if err != nil {
					s = x.Value
				}
				if strings.Contains(strings.ToLower(s), "text/event-stream") {
					record(x.Pos(), "text/event-stream")
				}
			}
		}
		return true
	})
	if first == token.NoPos {
		return nil
	}
	return &streamHit{pos: fset.Position(first), what: what}
}

// scan returns the file's first streaming use (nil when none or when the file
// does not parse) and its imports.
func (a *analyzer) scan(abs string) (*streamHit, []string) {
	sf := a.file(abs)
	f, err := a.fullParse(abs, sf)
	if err != nil {
		return nil, nil
	}
	if !sf.scanDone {
		sf.scanDone = true
		sf.hit = findStreaming(sf.full.fset, f)
	}
	var imports []string
	for _, imp := range f.Imports {
		if path, err := strconv.Unquote(imp.Path.Value); err == nil {
			imports = append(imports, path)
		}
	}
	return sf.hit, imports
}

// streaming searches the entry's package (the entry file first, then the
// other files go build would compile with it, in name order) and then,
// breadth-first in import-path order, the packages of the same module that
// it imports, and returns the first streaming use found.
func (a *analyzer) streaming(file, abs, pkgName string) *streamingUse {
	dir, self := filepath.Dir(abs), filepath.Base(abs)
	shownDir := filepath.Dir(file)
	names := []string{self}
	d := a.dir(dir)
	for _, name := range d.names {
		if name == self || !a.builds(dir, name, d.regular[name]) {
			continue
		}
		if pkg, ok := a.packageName(filepath.Join(dir, name)); ok && pkg == pkgName {
			names = append(names, name)
		}
	}
	importSet := map[string]bool{}
	for _, name := range names {
		hit, imports := a.scan(filepath.Join(dir, name))
		if hit != nil {
			return &streamingUse{File: filepath.Join(shownDir, name), Line: hit.pos.Line, What: hit.what}
		}
		for _, path := range imports {
			importSet[path] = true
		}
	}
	if a.modulePath == "" || a.moduleAbs == "" {
		return nil
	}
	visited := map[string]bool{dir: true}
	queue := a.moduleImports(importSet)
	for len(queue) > 0 {
		rel := queue[0]
		queue = queue[1:]
		pkgDir := filepath.Join(a.moduleAbs, rel)
		if visited[pkgDir] {
			continue
		}
		visited[pkgDir] = true
		p := a.importedPackage(pkgDir)
		if p.hit != nil {
			return &streamingUse{
				File: filepath.Join(a.moduleRoot, rel, p.hitName),
				Line: p.hit.pos.Line,
				What: p.hit.what,
			}
		}
		set := map[string]bool{}
		for _, path := range p.imports {
			set[path] = true
		}
		queue = append(queue, a.moduleImports(set)...)
	}
	return nil
}

// importedPackage scans the files go build would compile in dir, once.
func (a *analyzer) importedPackage(dir string) *pkgInfo {
	if p, ok := a.packages[dir]; ok {
		return p
	}
	p := &pkgInfo{}
	a.packages[dir] = p
	d := a.dir(dir)
	seen := map[string]bool{}
	for _, name := range d.names {
		if !a.builds(dir, name, d.regular[name]) {
			continue
		}
		hit, imports := a.scan(filepath.Join(dir, name))
		if hit != nil && p.hit == nil {
			p.hit, p.hitName = hit, name
		}
		for _, path := range imports {
			if !seen[path] {
				seen[path] = true
				p.imports = append(p.imports, path)
			}
		}
	}
	sort.Strings(p.imports)
	return p
}

// moduleImports keeps the import paths that name a package of the module
// (not in vendor/, not in a nested module) and returns their directories
// relative to the module root, sorted by import path.
func (a *analyzer) moduleImports(set map[string]bool) []string {
	var paths []string
	for path := range set {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var rels []string
	for _, path := range paths {
		var rel string
		switch {
		case path == a.modulePath:
			rel = "."
		case strings.HasPrefix(path, a.modulePath+"/"):
			rel = path[len(a.modulePath)+1:]
		default:
			continue
		}
		if a.outsideModule(rel) {
			continue
		}
		rels = append(rels, filepath.FromSlash(rel))
	}
	return rels
}

// outsideModule: rel (slash-separated, relative to the module root) is in a
// vendor directory or inside a nested module (a directory with its own
// go.mod between the root, exclusive, and rel, inclusive).
func (a *analyzer) outsideModule(rel string) bool {
	if rel == "." {
		return false
	}
	dir := a.moduleAbs
	for _, elem := range strings.Split(rel, "/") {
		if elem == "vendor" || elem == "" || elem == "." || elem == ".." {
			return true
		}
		dir = filepath.Join(dir, elem)
		has, ok := a.goMods[dir]
		if !ok {
			_, err := os.Stat(filepath.Join(dir, "go.mod"))
			has = err == nil
			a.goMods[dir] = has
		}
		if has {
			return true
		}
	}
	return false
}
