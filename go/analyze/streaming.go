package main

// Response streaming: its first use in a file, then in the entry's
// package, then in the module's packages it imports.

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
)

type streamHit struct {
	pos  token.Position
	what string
}

// streamingNames are the net/http names whose use means response streaming.
var streamingNames = map[string]bool{
	"Flusher":               true,
	"ResponseController":    true,
	"NewResponseController": true,
}

// findStreaming returns the first (by position) use of response streaming in
// a parsed file: a reference to one of streamingNames through a name
// net/http is imported as, or a string literal containing
// "text/event-stream" in any case.
func findStreaming(fset *token.FileSet, file *ast.File) *streamHit {
	names := httpNames(file)
	delete(names, ".")
	delete(names, "_")
	var first token.Pos
	var what string
	record := func(pos token.Pos, w string) {
		if first == token.NoPos || pos < first {
			first, what = pos, w
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			// Obj == nil: the name is not a local declaration shadowing
			// the import (package names are never resolved by the parser).
			if id, ok := x.X.(*ast.Ident); ok && names[id.Name] && id.Obj == nil && streamingNames[x.Sel.Name] {
				record(x.Pos(), "http."+x.Sel.Name)
			}
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				s, err := strconv.Unquote(x.Value)
				if err != nil {
					s = x.Value
				}
				if strings.Contains(strings.ToLower(s), "text/event-stream") {
					record(x.Pos(), "text/event-stream")
				}
			}
		}
		return true
	})
	if first == token.NoPos {
		return nil
	}
	return &streamHit{pos: fset.Position(first), what: what}
}

// scan returns the file's first streaming use (nil when none or when the file
// does not parse) and its imports.
func (a *analyzer) scan(abs string) (*streamHit, []string) {
	sf := a.file(abs)
	f, err := a.fullParse(abs, sf)
	if err != nil {
		return nil, nil
	}
	if !sf.scanDone {
		sf.scanDone = true
		sf.hit = findStreaming(sf.full.fset, f)
	}
	var imports []string
	for _, imp := range f.Imports {
		if path, err := strconv.Unquote(imp.Path.Value); err == nil {
			imports = append(imports, path)
		}
	}
	return sf.hit, imports
}

// streaming searches the entry's package (the entry file first, then the
// other files go build would compile with it, in name order) and then,
// breadth-first in import-path order, the packages of the same module that
// it imports, and returns the first streaming use found.
func (a *analyzer) streaming(file, abs, pkgName string) *streamingUse {
	dir, self := filepath.Dir(abs), filepath.Base(abs)
	shownDir := filepath.Dir(file)
	names := []string{self}
	d := a.dir(dir)
	for _, name := range d.names {
		if name == self || !a.builds(dir, name, d.regular[name]) {
			continue
		}
		if pkg, ok := a.packageName(filepath.Join(dir, name)); ok && pkg == pkgName {
			names = append(names, name)
		}
	}
	importSet := map[string]bool{}
	for _, name := range names {
		hit, imports := a.scan(filepath.Join(dir, name))
		if hit != nil {
			return &streamingUse{File: filepath.Join(shownDir, name), Line: hit.pos.Line, What: hit.what}
		}
		for _, path := range imports {
			importSet[path] = true
		}
	}
	if a.modulePath == "" || a.moduleAbs == "" {
		return nil
	}
	visited := map[string]bool{dir: true}
	queue := a.moduleImports(importSet)
	for len(queue) > 0 {
		rel := queue[0]
		queue = queue[1:]
		pkgDir := filepath.Join(a.moduleAbs, rel)
		if visited[pkgDir] {
			continue
		}
		visited[pkgDir] = true
		p := a.importedPackage(pkgDir)
		if p.hit != nil {
			return &streamingUse{
				File: filepath.Join(a.moduleRoot, rel, p.hitName),
				Line: p.hit.pos.Line,
				What: p.hit.what,
			}
		}
		set := map[string]bool{}
		for _, path := range p.imports {
			set[path] = true
		}
		queue = append(queue, a.moduleImports(set)...)
	}
	return nil
}
