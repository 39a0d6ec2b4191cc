package gobuilder

// The programs are compiled with the user's Go, which may be older than the
// one running these tests: the analyzer and the HTTP main template with Go
// 1.13 or newer, the executable with Go 1.21 or newer. This test
// type-checks each one at that language version (go/types rejects newer
// syntax, generics and predeclared names) and looks every standard library
// symbol it uses up in $GOROOT/api, failing on one added after that release.

import (
	"bufio"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestOldestSupportedGo(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join("templates", "http_main.go.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	// net/http.NotFound has the handler signature: it stands in for the
	// user's package.
	httpMain := strings.Replace(string(tmpl), "__VC_HANDLER_IMPORT__", `handler "net/http"`, 1)
	httpMain = strings.Replace(httpMain, "__VC_HANDLER_FUNC__", "handler.NotFound", 1)

	cases := []struct {
		name    string
		minor   int // oldest Go 1.x
		files   []string
		sources map[string]string
	}{
		{"analyze", 13, programFiles(t, "analyze"), nil},
		{"http_main.go.tmpl", 13, nil, map[string]string{"http_main.go": httpMain}},
		{"executable", 21, programFiles(t, "executable"), nil},
	}
	api := loadAPI(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fset := token.NewFileSet()
			var files []*ast.File
			for _, name := range c.files {
				f, err := parser.ParseFile(fset, name, nil, 0)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			for name, src := range c.sources {
				f, err := parser.ParseFile(fset, name, src, 0)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			info := &types.Info{
				Uses:       map[*ast.Ident]types.Object{},
				Selections: map[*ast.SelectorExpr]*types.Selection{},
			}
			conf := types.Config{
				GoVersion: "go1." + strconv.Itoa(c.minor),
				Importer:  importer.ForCompiler(fset, "source", nil),
			}
			if _, err := conf.Check("main", fset, files, info); err != nil {
				t.Fatalf("does not type-check as go1.%d: %v", c.minor, err)
			}
			check := func(pos token.Pos, key string) {
				if v, ok := api[key]; ok && v > c.minor {
					t.Errorf("%s: %s needs go1.%d", fset.Position(pos), key, v)
				}
			}
			for id, obj := range info.Uses {
				if obj.Pkg() == nil || obj.Parent() != obj.Pkg().Scope() {
					continue // universe, local, or a member (below)
				}
				check(id.Pos(), obj.Pkg().Path()+"."+obj.Name())
			}
			for sel, s := range info.Selections {
				recv := s.Recv()
				if p, ok := recv.(*types.Pointer); ok {
					recv = p.Elem()
				}
				named, ok := recv.(*types.Named)
				if !ok || named.Obj().Pkg() == nil {
					continue
				}
				// The member may be promoted from an embedded type; the
				// declaring type is what the api files name.
				if fn, ok := s.Obj().(*types.Func); ok {
					if r := fn.Type().(*types.Signature).Recv(); r != nil {
						t := r.Type()
						if p, ok := t.(*types.Pointer); ok {
							t = p.Elem()
						}
						if n, ok := t.(*types.Named); ok {
							named = n
						}
					}
				}
				if named.Obj().Pkg() == nil {
					continue
				}
				// A member of a type newer than the version is reached
				// through an older alias (os.FileInfo = io/fs.FileInfo);
				// naming the type itself is checked with the identifiers.
				if v, ok := api[named.Obj().Pkg().Path()+"."+named.Obj().Name()]; ok && v > c.minor {
					continue
				}
				check(sel.Sel.Pos(), named.Obj().Pkg().Path()+"."+named.Obj().Name()+"."+s.Obj().Name())
			}
		})
	}
}

// programFiles lists the files of the program in dir that this platform
// compiles (what the builder embeds: every .go file but the tests, the
// files for another system left out).
func programFiles(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := build.Default.MatchFile(dir, name); err != nil {
			t.Fatal(err)
		} else if ok {
			files = append(files, filepath.Join(dir, name))
		}
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return files
}

// loadAPI maps "pkg.Name" and "pkg.Type.Member" to the minor version of Go
// that added them, from $GOROOT/api/go1.N.txt.
func loadAPI(t *testing.T) map[string]int {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "api")
	api := map[string]int{}
	for minor := 1; ; minor++ {
		name := "go1." + strconv.Itoa(minor) + ".txt"
		if minor == 1 {
			name = "go1.txt"
		}
		f, err := os.Open(filepath.Join(dir, name))
		if os.IsNotExist(err) && minor > 20 {
			break
		}
		if err != nil {
			t.Skipf("no api files: %v", err)
		}
		scanner := bufio.NewScanner(f)
		scanner.Buffer(nil, 1<<20)
		for scanner.Scan() {
			if key := apiKey(scanner.Text()); key != "" {
				if _, seen := api[key]; !seen {
					api[key] = minor
				}
			}
		}
		f.Close()
	}
	return api
}

// apiKey turns one api line into the key loadAPI uses, or "".
func apiKey(line string) string {
	if !strings.HasPrefix(line, "pkg ") {
		return ""
	}
	line = strings.TrimPrefix(line, "pkg ")
	comma := strings.Index(line, ", ")
	if comma < 0 {
		return ""
	}
	pkg, rest := line[:comma], line[comma+2:]
	if sp := strings.IndexByte(pkg, ' '); sp >= 0 {
		pkg = pkg[:sp] // "syscall (linux-386)"
	}
	word := func(s string) string {
		end := strings.IndexAny(s, " ([,")
		if end < 0 {
			return s
		}
		return s[:end]
	}
	kind, rest, _ := strings.Cut(rest, " ")
	switch kind {
	case "func", "var", "const":
		return pkg + "." + word(rest)
	case "method":
		// "(*T) Name(...)" or "(T[$0]) Name(...)"
		close := strings.Index(rest, ") ")
		if close < 0 {
			return ""
		}
		recv := strings.TrimPrefix(strings.TrimPrefix(rest[:close], "("), "*")
		return pkg + "." + word(recv) + "." + word(rest[close+2:])
	case "type":
		typ := word(rest)
		if strings.Contains(rest, " interface {") {
			return pkg + "." + typ // "T interface { M1, M2 }"
		}
		if _, member, ok := strings.Cut(rest, ", "); ok {
			if strings.HasPrefix(member, "embedded ") {
				return ""
			}
			return pkg + "." + typ + "." + word(member)
		}
		return pkg + "." + typ
	}
	return ""
}
