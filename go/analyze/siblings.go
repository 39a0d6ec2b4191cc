package main

// The entry's siblings: the other .go files of its directory, with their
// package names.

import (
	"path/filepath"
	"strings"
)

// siblings reads only the package clause of every other non-test .go file in
// the entry's directory; anything that is not a regular file is listed
// unread.
func (a *analyzer) siblings(dir, self string) []sibling {
	d := a.dir(dir)
	siblings := []sibling{}
	for _, name := range d.names {
		if name == self || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if !d.regular[name] {
			siblings = append(siblings, sibling{File: name, Regular: false, HandlerNameOffsets: []int{}})
			continue
		}
		pkg, ok := a.packageName(filepath.Join(dir, name))
		if !ok {
			continue
		}
		siblings = append(siblings, sibling{File: name, PackageName: pkg, Regular: true, HandlerNameOffsets: []int{}})
	}
	return siblings
}
