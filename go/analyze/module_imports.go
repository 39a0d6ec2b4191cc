package main

// The module's own packages that the entry imports: which import paths
// belong to the module, and each package's files scanned once.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type pkgInfo struct {
	hit     *streamHit
	hitName string // base name of the file of hit
	imports []string
}

// importedPackage scans the files go build would compile in dir, once.
func (a *analyzer) importedPackage(dir string) *pkgInfo {
	if p, ok := a.packages[dir]; ok {
		return p
	}
	p := &pkgInfo{}
	a.packages[dir] = p
	d := a.dir(dir)
	seen := map[string]bool{}
	for _, name := range d.names {
		if !a.builds(dir, name, d.regular[name]) {
			continue
		}
		hit, imports := a.scan(filepath.Join(dir, name))
		if hit != nil && p.hit == nil {
			p.hit, p.hitName = hit, name
		}
		for _, path := range imports {
			if !seen[path] {
				seen[path] = true
				p.imports = append(p.imports, path)
			}
		}
	}
	sort.Strings(p.imports)
	return p
}

// moduleImports keeps the import paths that name a package of the module
// (not in vendor/, not in a nested module) and returns their directories
// relative to the module root, sorted by import path.
func (a *analyzer) moduleImports(set map[string]bool) []string {
	var paths []string
	for path := range set {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var rels []string
	for _, path := range paths {
		var rel string
		switch {
		case path == a.modulePath:
			rel = "."
		case strings.HasPrefix(path, a.modulePath+"/"):
			rel = path[len(a.modulePath)+1:]
		default:
			continue
		}
		if a.outsideModule(rel) {
			continue
		}
		rels = append(rels, filepath.FromSlash(rel))
	}
	return rels
}

// outsideModule: rel (slash-separated, relative to the module root) is in a
// vendor directory or inside a nested module (a directory with its own
// go.mod between the root, exclusive, and rel, inclusive).
func (a *analyzer) outsideModule(rel string) bool {
	if rel == "." {
		return false
	}
	dir := a.moduleAbs
	for _, elem := range strings.Split(rel, "/") {
		if elem == "vendor" || elem == "" || elem == "." || elem == ".." {
			return true
		}
		dir = filepath.Join(dir, elem)
		has, ok := a.goMods[dir]
		if !ok {
			_, err := os.Stat(filepath.Join(dir, "go.mod"))
			has = err == nil
			a.goMods[dir] = has
		}
		if has {
			return true
		}
	}
	return false
}
