package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeTree creates files (slash-separated paths → contents) under a new
// temporary directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// analyzeArgs runs the program and decodes its output; it fails the test
// unless the exit status is 0.
func analyzeArgs(t *testing.T, args ...string) output {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("analyze %v: exit %d, stderr: %s", args, code, stderr.String())
	}
	var out output
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("analyze %v: bad JSON %q: %v", args, stdout.String(), err)
	}
	if len(out.Files) != countFiles(args) {
		t.Fatalf("analyze %v: %d entries", args, len(out.Files))
	}
	return out
}

func countFiles(args []string) int {
	n := 0
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--":
			return n + len(args) - i - 1
		case args[i] == "-conflicts":
			// the one flag without a value
		case strings.HasPrefix(args[i], "-"):
			i++ // every other flag of analyze takes a value
		default:
			n++
		}
	}
	return n
}

// analyzeOne analyzes a single file for linux/amd64 and expects an ok entry.
func analyzeOne(t *testing.T, args ...string) *analysis {
	t.Helper()
	out := analyzeArgs(t, append([]string{"-goos", "linux", "-goarch", "amd64"}, args...)...)
	entry := out.Files[len(out.Files)-1]
	if entry.Error != nil || entry.Ok == nil {
		t.Fatalf("analyze %v: %+v", args, entry.Error)
	}
	return entry.Ok
}

func TestHandlerRules(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"plain", "package h\nimport \"net/http\"\nfunc H(w http.ResponseWriter, r *http.Request) {}\n", "H"},
		{"alias", "package h\nimport web \"net/http\"\nfunc H(w web.ResponseWriter, r *web.Request) {}\n", "H"},
		{"dot import", "package h\nimport . \"net/http\"\nfunc H(w ResponseWriter, r *Request) {}\n", "H"},
		{"results do not count here (the compiler says so)", "package h\nimport \"net/http\"\nfunc H(w http.ResponseWriter, r *http.Request) error { return nil }\n", "H"},
		{"grouped params", "package h\nimport \"net/http\"\nfunc H(http.ResponseWriter, *http.Request) {}\n", "H"},
		{"unexported skipped", "package h\nimport \"net/http\"\nfunc h(w http.ResponseWriter, r *http.Request) {}\nfunc G(w http.ResponseWriter, r *http.Request) {}\n", "G"},
		{"method skipped", "package h\nimport \"net/http\"\ntype T struct{}\nfunc (T) M(w http.ResponseWriter, r *http.Request) {}\nfunc G(w http.ResponseWriter, r *http.Request) {}\n", "G"},
		{"other exported first", "package h\nimport \"net/http\"\nfunc Helper(s string) {}\nfunc G(w http.ResponseWriter, r *http.Request) {}\n", "G"},
		{"value request", "package h\nimport \"net/http\"\nfunc H(w http.ResponseWriter, r http.Request) {}\n", ""},
		{"three params", "package h\nimport \"net/http\"\nfunc H(w http.ResponseWriter, r *http.Request, x int) {}\n", ""},
		{"wrong package", "package h\nimport http \"example.com/fake\"\nfunc H(w http.ResponseWriter, r *http.Request) {}\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{"h.go": c.src})
			got := analyzeOne(t, filepath.Join(root, "h.go"))
			if got.FunctionName != c.want || got.PackageName != "h" {
				t.Fatalf("got %q in package %q, want %q", got.FunctionName, got.PackageName, c.want)
			}
		})
	}
}

func TestDeclarationOffsetAndHTTPName(t *testing.T) {
	cases := []struct{ name, src, http string }{
		{"plain", "package h\nimport \"net/http\"\nvar _ = H\nfunc H(w http.ResponseWriter, r *http.Request) {}\n", "http"},
		{"alias, also imported as _", "package h\nimport (\n\t_ \"net/http\"\n\tweb \"net/http\"\n)\nvar _ = H\nfunc H(w web.ResponseWriter, r *web.Request) {}\n", "web"},
		{"dot import", "package h\nimport . \"net/http\"\nvar _ = H\nfunc H(w ResponseWriter, r *Request) {}\n", "."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{"h.go": c.src})
			got := analyzeOne(t, filepath.Join(root, "h.go"))
			if want := strings.Index(c.src, "func H(") + len("func "); got.FunctionOffset != want {
				t.Errorf("functionOffset %d, want %d (the declaration, not the earlier reference)", got.FunctionOffset, want)
			}
			if got.HTTPName != c.http {
				t.Errorf("httpName %q, want %q", got.HTTPName, c.http)
			}
		})
	}
	root := writeTree(t, map[string]string{"n.go": "package h\nfunc Helper() {}\n"})
	if got := analyzeOne(t, filepath.Join(root, "n.go")); got.FunctionOffset != -1 || got.HTTPName != "" {
		t.Errorf("no handler: functionOffset %d, httpName %q", got.FunctionOffset, got.HTTPName)
	}
}

func TestConflictingDeclarationsOfSiblings(t *testing.T) {
	other := "package api\n\nimport \"net/http\"\n\nvar _ = Handler\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n\nfunc (t T) Handler() {}\n"
	root := writeTree(t, map[string]string{
		"api/index.go": "package api\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n",
		"api/other.go": other,
		"api/value.go": "package api\n\nconst Handler = 1\n",
		"api/none.go":  "package api\n\nfunc helper() {}\n",
		"api/pkg.go":   "package elsewhere\n\nfunc Handler() {}\n",
	})
	got := analyzeOne(t, "-conflicts", filepath.Join(root, "api", "index.go"))
	offsets := map[string][]int{}
	for _, s := range got.Siblings {
		offsets[s.File] = s.HandlerNameOffsets
	}
	declared := strings.Index(other, "func Handler(") + len("func ")
	want := map[string][]int{
		"other.go": {strings.Index(other, "Handler"), declared},
		"value.go": {len("package api\n\nconst ")},
		"none.go":  {},
		"pkg.go":   {}, // another package: no clash
	}
	if !reflect.DeepEqual(offsets, want) {
		t.Fatalf("offsets %v, want %v", offsets, want)
	}
}

func TestRenameOffsets(t *testing.T) {
	src := `// Leading comment mentioning Index
package handler

import "net/http"

var _ http.HandlerFunc = Index

type x struct{ Index int }

func Index(w http.ResponseWriter, r *http.Request) {
	var v x
	_ = v.Index
	f := Index
	_ = f
}
`
	root := writeTree(t, map[string]string{"index.go": src})
	got := analyzeOne(t, filepath.Join(root, "index.go"))
	var want []int
	for _, marker := range []string{"= Index\n", "func Index(", "f := Index"} {
		i := strings.Index(src, marker)
		want = append(want, i+strings.Index(marker, "Index"))
	}
	if !reflect.DeepEqual(got.RenameOffsets, want) {
		t.Fatalf("offsets %v, want %v", got.RenameOffsets, want)
	}
	for _, off := range got.RenameOffsets {
		if src[off:off+5] != "Index" {
			t.Fatalf("offset %d is not Index", off)
		}
	}
}

func TestBatchKeepsOrderAndReportsErrors(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/ok.go":     "package a\nimport \"net/http\"\nfunc H(w http.ResponseWriter, r *http.Request) {}\n",
		"a/broken.go": "package a\n\nfunc (\n",
		"b/ok.go":     "package b\n",
	})
	files := []string{
		filepath.Join(root, "a", "broken.go"),
		filepath.Join(root, "a", "ok.go"),
		filepath.Join(root, "missing.go"),
		filepath.Join(root, "b", "ok.go"),
		filepath.Join(root, "a"),
	}
	out := analyzeArgs(t, files...)
	for i, entry := range out.Files {
		if entry.File != files[i] {
			t.Fatalf("entry %d is %q, want %q", i, entry.File, files[i])
		}
	}
	if e := out.Files[0].Error; e == nil || e.Line != 3 || e.Column == 0 || out.Files[0].Ok != nil {
		t.Fatalf("broken.go: %+v", out.Files[0])
	}
	if ok := out.Files[1].Ok; ok == nil || ok.FunctionName != "H" {
		t.Fatalf("ok.go: %+v", out.Files[1])
	}
	if e := out.Files[2].Error; e == nil || !strings.Contains(e.Message, "missing.go") || e.Line != 0 {
		t.Fatalf("missing.go: %+v", out.Files[2])
	}
	if ok := out.Files[3].Ok; ok == nil || ok.PackageName != "b" {
		t.Fatalf("b/ok.go: %+v", out.Files[3])
	}
	if e := out.Files[4].Error; e == nil || e.Message != files[4]+" is not a regular file" {
		t.Fatalf("directory: %+v", out.Files[4])
	}
}

func TestOutputShape(t *testing.T) {
	root := writeTree(t, map[string]string{"h.go": "package h\n"})
	var stdout, stderr bytes.Buffer
	if code := run([]string{filepath.Join(root, "h.go")}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	var raw map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	var ok map[string]json.RawMessage
	if err := json.Unmarshal(raw["files"][0]["ok"], &ok); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"packageName", "functionName", "renameOffsets", "functionOffset", "httpName", "siblings", "ignored", "streaming"} {
		if _, present := ok[key]; !present {
			t.Errorf("ok has no %q: %s", key, stdout.String())
		}
	}
	if string(ok["ignored"]) != "null" || string(ok["streaming"]) != "null" ||
		string(ok["renameOffsets"]) != "[]" || string(ok["siblings"]) != "[]" {
		t.Errorf("unexpected values: %s", stdout.String())
	}
}

func TestCommandLineErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-goos"},
		{"-module-root", "/x", "f.go"},
		{"-module-path", "x", "f.go"},
		{"-nope", "f.go"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 || stdout.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout.String())
		}
	}
}

func TestDashDashAndRelativePaths(t *testing.T) {
	root := writeTree(t, map[string]string{"api/-x.go": "package h\n", "api/f.go": "//go:build windows\n\npackage h\n"})
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	out := analyzeArgs(t, "-goos", "linux", "-goarch", "amd64", "--", "-x.go", filepath.Join("api", "f.go"))
	if out.Files[0].File != "-x.go" || out.Files[0].Error == nil {
		t.Fatalf("-x.go: %+v", out.Files[0])
	}
	ign := out.Files[1].Ok.Ignored
	want := "Go ignores " + filepath.Join("api", "f.go") + " when building for linux/amd64: its //go:build line (windows) is not satisfied"
	if ign == nil || *ign != want {
		t.Fatalf("ignored = %v, want %q", ign, want)
	}
}

func TestIgnored(t *testing.T) {
	const pkg = "package h\n"
	cases := []struct {
		name, src string
		flags     []string
		want      string // "" → not ignored
	}{
		{"plain.go", pkg, nil, ""},
		{"x_windows.go", pkg, nil, "its name ends in _windows.go"},
		{"x_arm64.go", pkg, nil, "its name ends in _arm64.go"},
		{"x_windows_amd64.go", pkg, nil, "its name ends in _windows_amd64.go"},
		{"x_linux_arm64.go", pkg, nil, "its name ends in _arm64.go"},
		{"x_linux_amd64.go", pkg, nil, ""},
		{"x_windows.go", pkg, []string{"-goos", "windows"}, ""},
		{"windows.go", pkg, nil, ""},
		{"_x.go", pkg, nil, "its name starts with _"},
		{".x.go", pkg, nil, "its name starts with ."},
		{"x_test.go", pkg, nil, "it is a test file (its name ends in _test.go)"},
		{"x.txt", pkg, nil, "it is not a .go file"},
		{"c.go", "//go:build windows\n\npackage h\n", nil, "its //go:build line (windows) is not satisfied"},
		{"c.go", "// Copyright\n\n//go:build foo && !bar\n// +build foo,!bar\n\npackage h\n", nil, "its //go:build line (foo && !bar) is not satisfied"},
		{"c.go", "//go:build foo && !bar\n\npackage h\n", []string{"-tags", "foo,baz"}, ""},
		{"c.go", "//go:build foo && !bar\n\npackage h\n", []string{"-tags", "foo,bar"}, "its //go:build line (foo && !bar) is not satisfied"},
		{"c.go", "// +build windows\n\npackage h\n", nil, "its // +build line (windows) is not satisfied"},
		{"c.go", "// +build linux darwin\n// +build arm64\n\npackage h\n", nil, "its // +build lines (linux darwin; arm64) are not satisfied"},
		{"c.go", "//go:build ignore\n\npackage main\n", nil, "its //go:build line (ignore) is not satisfied"},
		{"c.go", "//go:build cgo\n\npackage h\n", nil, "its //go:build line (cgo) is not satisfied"},
		{"c.go", "package h\n\n//go:build windows\n", nil, ""},
		{"c.go", "package h\n\n// #include <stdio.h>\nimport \"C\"\n", nil, `it imports "C" and cgo is disabled (CGO_ENABLED=0)`},
	}
	for _, c := range cases {
		t.Run(c.name+" "+strings.Join(c.flags, " "), func(t *testing.T) {
			root := writeTree(t, map[string]string{c.name: c.src})
			file := filepath.Join(root, c.name)
			got := analyzeOne(t, append(append([]string{}, c.flags...), file)...).Ignored
			if c.want == "" {
				if got != nil {
					t.Fatalf("ignored: %s", *got)
				}
				return
			}
			target := "linux/amd64"
			if len(c.flags) > 0 && c.flags[0] == "-tags" {
				target += " with tags " + c.flags[1]
			}
			want := "Go ignores " + file + " when building for " + target + ": " + c.want
			if got == nil || *got != want {
				t.Fatalf("ignored = %v\nwant      %q", deref(got), want)
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestSiblings(t *testing.T) {
	root := writeTree(t, map[string]string{
		"api/index.go":      "package handler\n",
		"api/a.go":          "package handler\n",
		"api/b.go":          "package other\n",
		"api/b_test.go":     "package handler\n",
		"api/broken.go":     "not go at all\n",
		"api/notes.txt":     "hi",
		"api/dir.go/x.go":   "package x\n",
		"api/_hidden.go":    "package hidden\n",
		"api/win_window.go": "package handler\n",
	})
	api := filepath.Join(root, "api")
	if err := os.Symlink("a.go", filepath.Join(api, "link.go")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere.go", filepath.Join(api, "dangling.go")); err != nil {
		t.Fatal(err)
	}
	special := []string{}
	if err := mkfifo(filepath.Join(api, "fifo.go")); err == nil {
		if err := os.Symlink("fifo.go", filepath.Join(api, "tofifo.go")); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(api, "sock.go")
		if len(sock) < 100 { // sun_path limit
			l, err := net.Listen("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			special = append(special, "sock.go")
		}
		special = append(special, "fifo.go", "tofifo.go")
	}
	done := make(chan *analysis, 1)
	go func() { done <- analyzeOne(t, filepath.Join(api, "index.go")) }()
	var got *analysis
	select {
	case got = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the analyzer blocked (did it open a FIFO?)")
	}
	want := map[string]sibling{
		"_hidden.go":    {File: "_hidden.go", PackageName: "hidden", Regular: true},
		"a.go":          {File: "a.go", PackageName: "handler", Regular: true},
		"b.go":          {File: "b.go", PackageName: "other", Regular: true},
		"dangling.go":   {File: "dangling.go", Regular: false},
		"link.go":       {File: "link.go", PackageName: "handler", Regular: true},
		"win_window.go": {File: "win_window.go", PackageName: "handler", Regular: true},
	}
	for _, name := range special {
		want[name] = sibling{File: name, Regular: false}
	}
	gotMap := map[string]sibling{}
	for i, s := range got.Siblings {
		if s.HandlerNameOffsets == nil || len(s.HandlerNameOffsets) > 0 {
			t.Errorf("%s: handlerNameOffsets %v without -conflicts", s.File, s.HandlerNameOffsets)
		}
		s.HandlerNameOffsets = nil
		gotMap[s.File] = s
		if i > 0 && got.Siblings[i-1].File >= s.File {
			t.Errorf("siblings not sorted: %v", got.Siblings)
		}
	}
	if !reflect.DeepEqual(gotMap, want) {
		t.Fatalf("siblings\n got %+v\nwant %+v", gotMap, want)
	}
}

func TestFIFOEntryIsNotOpened(t *testing.T) {
	root := t.TempDir()
	fifo := filepath.Join(root, "x.go")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	done := make(chan output, 1)
	go func() { done <- analyzeArgs(t, fifo) }()
	select {
	case out := <-done:
		e := out.Files[0].Error
		if e == nil || e.Message != fifo+" is not a regular file" || e.Line != 0 || e.Column != 0 {
			t.Fatalf("%+v", out.Files[0])
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the analyzer blocked on the FIFO")
	}
}

func TestSharedDirectoryScan(t *testing.T) {
	root := writeTree(t, map[string]string{
		"api/a.go": "package h\n",
		"api/b.go": "package h\n",
		"api/c.go": "package h\n",
	})
	api := filepath.Join(root, "api")
	a := newAnalyzer("linux", "amd64", nil, "", "")
	first := a.analyze(filepath.Join(api, "a.go"))
	// c.go vanishes between the two entries: the second one still sees the
	// listing (and the package clause) read for the first.
	if err := os.Remove(filepath.Join(api, "c.go")); err != nil {
		t.Fatal(err)
	}
	second := a.analyze(filepath.Join(api, "b.go"))
	if len(first.Ok.Siblings) != 2 || len(second.Ok.Siblings) != 2 || second.Ok.Siblings[1].File != "c.go" {
		t.Fatalf("first %+v\nsecond %+v", first.Ok.Siblings, second.Ok.Siblings)
	}
}

func TestStreamingInFile(t *testing.T) {
	cases := []struct {
		name, src, what string
		line            int
	}{
		{"none", "package h\nimport \"net/http\"\nfunc H(w http.ResponseWriter, r *http.Request) { w.Write(nil) }\n", "", 0},
		{"flusher", "package h\nimport \"net/http\"\nfunc H(w http.ResponseWriter, r *http.Request) {\n\tw.(http.Flusher).Flush()\n}\n", "http.Flusher", 4},
		{"alias", "package h\nimport web \"net/http\"\nfunc H(w web.ResponseWriter, r *web.Request) {\n\tweb.NewResponseController(w).Flush()\n}\n", "http.NewResponseController", 4},
		{"controller type", "package h\nimport \"net/http\"\nvar rc *http.ResponseController\n", "http.ResponseController", 3},
		{"event stream literal", "package h\nconst ct = `Text/Event-Stream; charset=utf-8`\n", "text/event-stream", 2},
		{"escaped literal", "package h\nconst ct = \"text\\x2fevent-stream\"\n", "text/event-stream", 2},
		{"first by position", "package h\nimport \"net/http\"\nconst ct = \"text/event-stream\"\nvar _ http.Flusher\n", "text/event-stream", 3},
		{"in a comment only", "package h\n// text/event-stream and http.Flusher\n", "", 0},
		{"other package named http", "package h\nimport http \"example.com/x\"\nvar _ http.Flusher\n", "", 0},
		{"shadowed import", "package h\nimport \"net/http\"\nvar _ http.Handler\nfunc f() {\n\thttp := struct{ Flusher int }{}\n\t_ = http.Flusher\n}\n", "", 0},
		{"selector on a value", "package h\nimport \"net/http\"\nvar _ http.Handler\nvar x struct{ Flusher int }\nvar _ = x.Flusher\n", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{"h.go": c.src})
			got := analyzeOne(t, filepath.Join(root, "h.go")).Streaming
			if c.what == "" {
				if got != nil {
					t.Fatalf("streaming %+v", got)
				}
				return
			}
			want := streamingUse{File: filepath.Join(root, "h.go"), Line: c.line, What: c.what}
			if got == nil || *got != want {
				t.Fatalf("streaming %+v, want %+v", got, want)
			}
		})
	}
}

func TestStreamingInPackage(t *testing.T) {
	flush := "package handler\nimport \"net/http\"\nvar _ http.Flusher\n"
	root := writeTree(t, map[string]string{
		"api/index.go":         "package handler\nfunc helper() {}\n",
		"api/other_test.go":    flush,
		"api/other_windows.go": flush,
		"api/_skip.go":         flush,
		"api/tagged.go":        "//go:build tagged\n\n" + flush,
		"api/main.go":          "package main\nimport \"net/http\"\nvar _ http.Flusher\n",
		"api/z.go":             "package handler\nimport \"net/http\"\n\nvar _ = http.NewResponseController\n",
	})
	api := filepath.Join(root, "api")
	got := analyzeOne(t, filepath.Join(api, "index.go")).Streaming
	want := streamingUse{File: filepath.Join(api, "z.go"), Line: 4, What: "http.NewResponseController"}
	if got == nil || *got != want {
		t.Fatalf("streaming %+v, want %+v", got, want)
	}
	// With the tag, tagged.go builds too and comes before z.go.
	got = analyzeOne(t, "-tags", "tagged", filepath.Join(api, "index.go")).Streaming
	want = streamingUse{File: filepath.Join(api, "tagged.go"), Line: 5, What: "http.Flusher"}
	if got == nil || *got != want {
		t.Fatalf("with tag: streaming %+v, want %+v", got, want)
	}
	// The entry file itself comes first.
	got = analyzeOne(t, filepath.Join(api, "z.go")).Streaming
	if got == nil || got.File != filepath.Join(api, "z.go") {
		t.Fatalf("entry first: %+v", got)
	}
}

func TestStreamingInImportedPackages(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.21\n",
		"api/index.go": `package handler

import (
	"net/http"

	"example.com/app/internal/a"
	"example.com/app/internal/quiet"
	"example.com/app/nested/n"
	"example.com/app/vendor/v"
	"example.com/other"
)

func Index(w http.ResponseWriter, r *http.Request) { a.A(); quiet.Q(); n.N(); v.V(); other.O() }
`,
		"internal/quiet/q.go":           "package quiet\nfunc Q() {}\n",
		"internal/quiet/q_test.go":      "package quiet\nconst ct = \"text/event-stream\"\n",
		"internal/a/a.go":               "package a\nimport \"example.com/app/internal/b\"\nfunc A() { b.B() }\n",
		"internal/a/a_windows.go":       "package a\nconst ct = \"text/event-stream\"\n",
		"internal/b/b.go":               "package b\n\nimport \"net/http\"\n\nfunc B() {}\n\ntype f = http.Flusher\n",
		"nested/go.mod":                 "module example.com/app/nested\n",
		"nested/n/n.go":                 "package n\nconst ct = \"text/event-stream\"\nfunc N() {}\n",
		"vendor/v/v.go":                 "package v\nconst ct = \"text/event-stream\"\nfunc V() {}\n",
		"vendor/example.com/other/o.go": "package other\nconst ct = \"text/event-stream\"\nfunc O() {}\n",
	})
	entry := filepath.Join(root, "api", "index.go")
	// Without the module flags only the entry's own package counts.
	if got := analyzeOne(t, entry).Streaming; got != nil {
		t.Fatalf("without module: %+v", got)
	}
	got := analyzeOne(t, "-module-root", root, "-module-path", "example.com/app", entry).Streaming
	want := streamingUse{File: filepath.Join(root, "internal", "b", "b.go"), Line: 7, What: "http.Flusher"}
	if got == nil || *got != want {
		t.Fatalf("streaming %+v, want %+v", got, want)
	}
	// Nothing found: the nested module, vendor/ and test files are skipped.
	if err := os.Remove(filepath.Join(root, "internal", "b", "b.go")); err != nil {
		t.Fatal(err)
	}
	if got := analyzeOne(t, "-module-root", root, "-module-path", "example.com/app", entry).Streaming; got != nil {
		t.Fatalf("after removing b.go: %+v", got)
	}
}

func TestStreamingImportCycleTerminates(t *testing.T) {
	root := writeTree(t, map[string]string{
		"api/index.go": "package handler\nimport _ \"m/a\"\n",
		"a/a.go":       "package a\nimport _ \"m/b\"\nimport _ \"m\"\n",
		"b/b.go":       "package b\nimport _ \"m/a\"\nimport _ \"m/api\"\n",
		"root.go":      "package m\nimport _ \"m/a\"\n",
	})
	if got := analyzeOne(t, "-module-root", root, "-module-path", "m", filepath.Join(root, "api", "index.go")).Streaming; got != nil {
		t.Fatalf("%+v", got)
	}
}
