package main

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

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
