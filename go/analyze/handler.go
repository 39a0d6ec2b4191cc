package main

// The handler: the first exported function with the signature
// (http.ResponseWriter, *http.Request), whatever name net/http has.

import (
	"go/ast"
	"sort"
	"strconv"
)

// httpNames returns the local names under which net/http is imported: "http"
// by default, the alias when renamed, "." for a dot import.
func httpNames(file *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range file.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil || path != "net/http" {
			continue
		}
		if imp.Name != nil {
			names[imp.Name.Name] = true
		} else {
			names["http"] = true
		}
	}
	return names
}

// httpName returns the name a handler's signature can be written with:
// "http" when net/http is imported under it, else its alias, else "." for a
// dot import (the names sorted, for a stable answer).
func httpName(file *ast.File) string {
	names := httpNames(file)
	if names["http"] {
		return "http"
	}
	var usable []string
	for name := range names {
		if name != "_" && name != "." {
			usable = append(usable, name)
		}
	}
	sort.Strings(usable)
	if len(usable) > 0 {
		return usable[0]
	}
	if names["."] {
		return "."
	}
	return ""
}

func findHandler(file *ast.File) *ast.FuncDecl {
	names := httpNames(file)
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || !fn.Name.IsExported() {
			continue
		}
		if isHandlerSignature(fn.Type, names) {
			return fn
		}
	}
	return nil
}

func isHandlerSignature(ft *ast.FuncType, httpNames map[string]bool) bool {
	var types []ast.Expr
	for _, field := range ft.Params.List {
		n := len(field.Names)
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			types = append(types, field.Type)
		}
	}
	if len(types) != 2 {
		return false
	}
	star, ok := types[1].(*ast.StarExpr)
	return ok && isHTTPType(types[0], "ResponseWriter", httpNames) &&
		isHTTPType(star.X, "Request", httpNames)
}

func isHTTPType(expr ast.Expr, name string, httpNames map[string]bool) bool {
	switch t := expr.(type) {
	case *ast.SelectorExpr:
		pkg, ok := t.X.(*ast.Ident)
		return ok && httpNames[pkg.Name] && t.Sel.Name == name
	case *ast.Ident:
		return httpNames["."] && t.Name == name
	}
	return false
}
