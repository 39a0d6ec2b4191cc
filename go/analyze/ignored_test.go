package main

import (
	"path/filepath"
	"strings"
	"testing"
)

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
