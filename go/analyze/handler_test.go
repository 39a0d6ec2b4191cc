package main

import (
	"path/filepath"
	"strings"
	"testing"
)

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
