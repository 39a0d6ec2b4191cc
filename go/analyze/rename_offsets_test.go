package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

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
