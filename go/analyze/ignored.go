package main

// Why go build would ignore a file for the target (the "ignored"
// sentence): its name, its build constraints, or cgo.

import (
	"go/ast"
	"go/build"
	"path/filepath"
	"strconv"
	"strings"
)

// exclusion says why `go build` would leave the file out for the target, in
// words for a user ("its name ends in _windows.go"), or "" when it would
// build it. err is go/build's complaint about the file's header (a malformed
// constraint, an unreadable file): go build would report that itself, so it
// is not a reason to ignore the file. The file must be a regular file (it is
// read).
func (a *analyzer) exclusion(dir, name string) (string, error) {
	switch {
	case !strings.HasSuffix(name, ".go"):
		return "it is not a .go file", nil
	case strings.HasPrefix(name, "_"):
		return "its name starts with _", nil
	case strings.HasPrefix(name, "."):
		return "its name starts with .", nil
	case strings.HasSuffix(name, "_test.go"):
		return "it is a test file (its name ends in _test.go)", nil
	}
	if ok, err := a.nameCtxt.MatchFile(dir, name); err == nil && !ok {
		return "its name ends in " + osArchSuffix(&a.nameCtxt, name), nil
	}
	ok, err := a.ctxt.MatchFile(dir, name)
	if err != nil {
		return "", err
	}
	header, herr := a.headerParse(filepath.Join(dir, name))
	if !ok {
		if herr != nil {
			return "its build constraints are not satisfied", nil
		}
		return constraintPhrase(header, a.goBuildLines), nil
	}
	if herr == nil && !a.ctxt.CgoEnabled && importsC(header) {
		return `it imports "C" and cgo is disabled (CGO_ENABLED=0)`, nil
	}
	return "", nil
}

// builds reports whether go build would compile the file for the target:
// a regular, non-test .go file that no rule excludes.
func (a *analyzer) builds(dir, name string, regular bool) bool {
	if !regular {
		return false
	}
	reason, err := a.exclusion(dir, name)
	return reason == "" && err == nil
}

// osArchSuffix names the _GOOS, _GOARCH or _GOOS_GOARCH suffix that rules the
// file out, by asking go/build about the suffixes alone.
func osArchSuffix(nameCtxt *build.Context, name string) string {
	parts := strings.Split(strings.TrimSuffix(name, ".go"), "_")
	n := len(parts)
	if n >= 2 {
		if ok, _ := nameCtxt.MatchFile(string(filepath.Separator), "x_"+parts[n-1]+".go"); !ok {
			return "_" + parts[n-1] + ".go"
		}
	}
	if n >= 3 {
		return "_" + parts[n-2] + "_" + parts[n-1] + ".go"
	}
	return name
}

// constraintPhrase describes the file's build constraint lines: the
// //go:build line when this Go honours it, else the // +build lines.
func constraintPhrase(f *ast.File, goBuildLines bool) string {
	var goBuild string
	var plus []string
	for _, group := range f.Comments {
		if group.Pos() >= f.Package {
			break
		}
		for _, c := range group.List {
			if expr, ok := directive(c.Text, "//go:build"); ok {
				goBuild = expr
			} else if strings.HasPrefix(c.Text, "//") {
				if expr, ok := directive(strings.TrimSpace(c.Text[2:]), "+build"); ok {
					plus = append(plus, expr)
				}
			}
		}
	}
	switch {
	case goBuild != "" && goBuildLines:
		return "its //go:build line (" + goBuild + ") is not satisfied"
	case len(plus) == 1:
		return "its // +build line (" + plus[0] + ") is not satisfied"
	case len(plus) > 1:
		return "its // +build lines (" + strings.Join(plus, "; ") + ") are not satisfied"
	}
	return "its build constraints are not satisfied"
}

// directive returns the rest of text after word when text is word followed
// by a space, tab or nothing.
func directive(text, word string) (string, bool) {
	if !strings.HasPrefix(text, word) {
		return "", false
	}
	rest := text[len(word):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

func importsC(f *ast.File) bool {
	for _, imp := range f.Imports {
		if path, err := strconv.Unquote(imp.Path.Value); err == nil && path == "C" {
			return true
		}
	}
	return false
}
