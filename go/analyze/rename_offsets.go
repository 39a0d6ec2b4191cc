package main

// Where the builder renames: the byte offsets of the identifiers that name
// the handler in the entry (renameOffsets) and, with -conflicts, a
// sibling's own declaration of that name (handlerNameOffsets).

import (
	"go/ast"
	"go/token"
	"sort"
)

// declarationNamed returns the byte offsets, in the file abs, of its own
// top-level declaration named name (a function, variable, constant or
// type: what would clash with the handler in one package) and of every
// identifier of the file that the parser resolves to it; [] when it has
// none or does not parse.
func (a *analyzer) declarationNamed(abs, name string) []int {
	offsets := []int{}
	sf := a.file(abs)
	f, err := a.fullParse(abs, sf)
	if err != nil {
		return offsets
	}
	obj := f.Scope.Lookup(name)
	if obj == nil {
		return offsets
	}
	return identOffsets(sf.full.fset, f, name, obj, nil)
}

// referencesTo lists the byte offsets of the function's own name and of every
// identifier in the file that the parser resolved to it. Selector names
// (x.Handler), struct fields and method names never resolve to a top-level
// function, so they are left alone.
func referencesTo(fset *token.FileSet, file *ast.File, fn *ast.FuncDecl) []int {
	return identOffsets(fset, file, fn.Name.Name, fn.Name.Obj, fn.Name)
}

// identOffsets lists, sorted, the byte offsets of the identifiers of file
// named name that are self or that the parser resolved to obj (nil: none).
func identOffsets(fset *token.FileSet, file *ast.File, name string, obj *ast.Object, self *ast.Ident) []int {
	offsets := []int{}
	ast.Inspect(file, func(n ast.Node) bool {
		id, ok := n.(*ast.Ident)
		if ok && id.Name == name && (id == self || (obj != nil && id.Obj == obj)) {
			offsets = append(offsets, fset.Position(id.Pos()).Offset)
		}
		return true
	})
	sort.Ints(offsets)
	return offsets
}
