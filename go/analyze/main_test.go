package main

// The helpers here run the whole program on a tree of files; the tests
// beside each file use them.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
