package main

// Files and directories, each listed, read and parsed at most once; a file
// that is not regular is never opened.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/ioutil"
	"os"
	"path/filepath"
)

type dirInfo struct {
	names   []string        // sorted; directories left out
	regular map[string]bool // name → regular file (symlinks followed)
}

// srcFile caches one source file: its bytes and its parses.
type srcFile struct {
	src     []byte
	readErr error
	read    bool

	header parse // ImportsOnly|ParseComments
	full   parse // ParseComments

	scanDone bool
	hit      *streamHit
}

// parse is one parse of a file, done at most once.
type parse struct {
	done bool
	fset *token.FileSet
	file *ast.File
	err  error
}

func (a *analyzer) file(abs string) *srcFile {
	sf := a.files[abs]
	if sf == nil {
		sf = &srcFile{}
		a.files[abs] = sf
	}
	return sf
}

// dir lists a directory once. Symlinks are followed to tell regular files
// from the rest; directories (and symlinks to directories) are left out.
func (a *analyzer) dir(abs string) *dirInfo {
	if d, ok := a.dirs[abs]; ok {
		return d
	}
	d := &dirInfo{regular: map[string]bool{}}
	a.dirs[abs] = d
	// ioutil.ReadDir rather than os.ReadDir: the analyzer is compiled with
	// the project's Go, which may be as old as 1.13. It sorts by name.
	entries, err := ioutil.ReadDir(abs)
	if err != nil {
		return d
	}
	for _, entry := range entries {
		mode := entry.Mode()
		if mode&os.ModeSymlink != 0 {
			target, err := os.Stat(filepath.Join(abs, entry.Name()))
			if err != nil {
				mode = os.ModeIrregular // dangling: not a regular file
			} else {
				mode = target.Mode()
			}
		}
		if mode.IsDir() {
			continue
		}
		d.names = append(d.names, entry.Name())
		d.regular[entry.Name()] = mode.IsRegular()
	}
	return d
}

// source returns the file's bytes, read once. It refuses anything that is
// not a regular file without opening it.
func (a *analyzer) source(abs string) ([]byte, error) {
	sf := a.file(abs)
	if !sf.read {
		sf.read = true
		info, err := os.Stat(abs)
		switch {
		case err != nil:
			sf.readErr = err
		case !info.Mode().IsRegular():
			sf.readErr = fmt.Errorf("%s is not a regular file", abs)
		default:
			sf.src, sf.readErr = ioutil.ReadFile(abs)
		}
	}
	return sf.src, sf.readErr
}

// parseOnce parses the file with mode into p the first time, and returns
// that parse.
func (a *analyzer) parseOnce(abs string, p *parse, mode parser.Mode) (*ast.File, error) {
	if !p.done {
		p.done = true
		src, err := a.source(abs)
		if err != nil {
			p.err = err
		} else {
			p.fset = token.NewFileSet()
			p.file, p.err = parser.ParseFile(p.fset, abs, src, mode)
		}
	}
	return p.file, p.err
}

// headerParse parses the package clause, imports and the comments before
// them.
func (a *analyzer) headerParse(abs string) (*ast.File, error) {
	return a.parseOnce(abs, &a.file(abs).header, parser.ImportsOnly|parser.ParseComments)
}

// fullParse parses the whole file (with comments), once.
func (a *analyzer) fullParse(abs string, sf *srcFile) (*ast.File, error) {
	return a.parseOnce(abs, &sf.full, parser.ParseComments)
}

func (a *analyzer) packageName(abs string) (string, bool) {
	if f, err := a.headerParse(abs); err == nil {
		return f.Name.Name, true
	}
	src, err := a.source(abs)
	if err != nil {
		return "", false
	}
	f, err := parser.ParseFile(token.NewFileSet(), abs, src, parser.PackageClauseOnly)
	if err != nil {
		return "", false
	}
	return f.Name.Name, true
}
