package main

import (
	"os"
	"path/filepath"
	"testing"
)

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
