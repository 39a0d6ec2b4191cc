// Command analyze inspects one Go source file with go/parser and prints, as
// JSON, what the builder needs to compile it as a Vercel handler:
//
//   - the package name and the handler function (the first exported top-level
//     function without receiver whose parameters are exactly
//     (http.ResponseWriter, *http.Request), whatever name net/http is imported as);
//   - the byte offsets of every identifier in the file that refers to that
//     function, so the builder can rename it without touching anything else;
//   - the package name of every other .go file in the same directory, so files
//     of a different package can be left out of the build.
//
// Usage: analyze <file.go>
// Exit status 0 with {"ok":...}; a parse error is reported as
// {"error":{"message":...,"line":N,"column":N}} with exit status 0 as well, so
// the caller can tell a user error from a crash of this program.
package main

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
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
}

type analysis struct {
	PackageName   string    `json:"packageName"`
	FunctionName  string    `json:"functionName"`
	RenameOffsets []int     `json:"renameOffsets"`
	Siblings      []sibling `json:"siblings"`
}

type parseError struct {
	Message string `json:"message"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
}

type output struct {
	Ok    *analysis   `json:"ok,omitempty"`
	Error *parseError `json:"error,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		os.Stderr.WriteString("usage: analyze <file.go>\n")
		os.Exit(2)
	}
	out := analyzeFile(os.Args[1])
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}

func analyzeFile(path string) output {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return output{Error: toParseError(err)}
	}
	result := &analysis{PackageName: file.Name.Name, RenameOffsets: []int{}}
	if fn := findHandler(file); fn != nil {
		result.FunctionName = fn.Name.Name
		result.RenameOffsets = referencesTo(fset, file, fn)
	}
	result.Siblings = siblingPackages(path)
	return output{Ok: result}
}

func toParseError(err error) *parseError {
	if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
		first := list[0]
		return &parseError{Message: first.Msg, Line: first.Pos.Line, Column: first.Pos.Column}
	}
	return &parseError{Message: err.Error()}
}

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

// siblingPackages reads only the package clause of every other non-test .go
// file in the entry's directory.
func siblingPackages(path string) []sibling {
	dir := filepath.Dir(path)
	// ioutil.ReadDir rather than os.ReadDir: the analyzer is compiled with
	// the project's Go, which may be as old as 1.13.
	entries, err := ioutil.ReadDir(dir)
	if err != nil {
		return []sibling{}
	}
	siblings := []sibling{}
	self := filepath.Base(path)
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || name == self || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.PackageClauseOnly)
		if err != nil {
			continue
		}
		siblings = append(siblings, sibling{File: name, PackageName: f.Name.Name})
	}
	return siblings
}
