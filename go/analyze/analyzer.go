package main

// The analyzer: the target, what has been read so far, and the analysis
// of one FILE (each part of it is computed in the file named for it).

import (
	"bytes"
	"fmt"
	"go/build"
	"io"
	"io/ioutil"
	"os"
	"path/filepath"
	"strings"
)

// analyzer holds the target and everything read so far, so that several
// files of one directory (or packages imported by several entries) are
// listed, read and parsed once.
type analyzer struct {
	ctxt   build.Context // the target; OpenFile reads through the cache
	target string        // "linux/amd64", or "linux/amd64 with tags a,b"

	// nameCtxt is ctxt with every file reading as a bare package clause:
	// MatchFile then judges the file name alone.
	nameCtxt build.Context
	// goBuildLines: this Go's go/build honours //go:build lines (Go 1.17+;
	// older ones only read // +build).
	goBuildLines bool

	conflicts  bool   // -conflicts
	moduleRoot string // as given; "" without -module-root
	moduleAbs  string
	modulePath string

	dirs     map[string]*dirInfo // by absolute directory
	files    map[string]*srcFile // by absolute path
	packages map[string]*pkgInfo // imported packages, by absolute directory
	goMods   map[string]bool     // absolute directory → has a go.mod
}

func newAnalyzer(goos, goarch string, tags []string, moduleRoot, modulePath string) *analyzer {
	a := &analyzer{
		moduleRoot: moduleRoot,
		modulePath: strings.TrimSuffix(modulePath, "/"),
		dirs:       map[string]*dirInfo{},
		files:      map[string]*srcFile{},
		packages:   map[string]*pkgInfo{},
		goMods:     map[string]bool{},
	}
	if moduleRoot != "" {
		if abs, err := filepath.Abs(moduleRoot); err == nil {
			a.moduleAbs = abs
		}
	}
	ctxt := build.Default
	ctxt.GOOS = goos
	ctxt.GOARCH = goarch
	ctxt.BuildTags = tags
	ctxt.CgoEnabled = false
	ctxt.UseAllFiles = false
	ctxt.JoinPath = filepath.Join
	a.ctxt = ctxt
	a.ctxt.OpenFile = func(path string) (io.ReadCloser, error) {
		src, err := a.source(path)
		if err != nil {
			return nil, err
		}
		return ioutil.NopCloser(bytes.NewReader(src)), nil
	}
	a.nameCtxt = ctxt
	a.nameCtxt.OpenFile = func(string) (io.ReadCloser, error) {
		return ioutil.NopCloser(strings.NewReader("package p\n")), nil
	}
	probe := ctxt
	probe.OpenFile = func(string) (io.ReadCloser, error) {
		return ioutil.NopCloser(strings.NewReader("//go:build vercel_analyze_never_set\n\npackage p\n")), nil
	}
	if ok, err := probe.MatchFile(string(filepath.Separator), "p.go"); err == nil && !ok {
		a.goBuildLines = true
	}
	a.target = goos + "/" + goarch
	if len(tags) > 0 {
		a.target += " with tags " + strings.Join(tags, ",")
	}
	return a
}

func (a *analyzer) analyze(file string) fileResult {
	result := fileResult{File: file}
	fail := func(message string) fileResult {
		result.Error = &fileError{Message: message}
		return result
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return fail(err.Error())
	}
	// Stat before anything opens the file: reading a FIFO blocks forever.
	info, err := os.Stat(file)
	if err != nil {
		return fail(err.Error())
	}
	if !info.Mode().IsRegular() {
		return fail(file + " is not a regular file")
	}
	sf := a.file(abs)
	if _, err := a.source(abs); err != nil {
		return fail(err.Error())
	}
	f, err := a.fullParse(abs, sf)
	if err != nil {
		result.Error = toFileError(err)
		return result
	}
	res := &analysis{PackageName: f.Name.Name, RenameOffsets: []int{}, FunctionOffset: -1, Siblings: []sibling{}}
	if fn := findHandler(f); fn != nil {
		res.FunctionName = fn.Name.Name
		res.RenameOffsets = referencesTo(sf.full.fset, f, fn)
		res.FunctionOffset = sf.full.fset.Position(fn.Name.Pos()).Offset
		res.HTTPName = httpName(f)
	}
	dir, name := filepath.Dir(abs), filepath.Base(abs)
	res.Siblings = a.siblings(dir, name)
	if a.conflicts && res.FunctionName != "" {
		for i := range res.Siblings {
			s := &res.Siblings[i]
			if s.Regular && s.PackageName == res.PackageName {
				s.HandlerNameOffsets = a.declarationNamed(filepath.Join(dir, s.File), res.FunctionName)
			}
		}
	}
	if reason, _ := a.exclusion(dir, name); reason != "" {
		msg := fmt.Sprintf("Go ignores %s when building for %s: %s", file, a.target, reason)
		res.Ignored = &msg
	}
	res.Streaming = a.streaming(file, abs, f.Name.Name)
	result.Ok = res
	return result
}
