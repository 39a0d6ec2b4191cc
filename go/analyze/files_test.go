package main

import (
	"os"
	"path/filepath"
	"testing"
)

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
