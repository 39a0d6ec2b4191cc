// Command analyze inspects Go source files with go/parser and go/build and
// prints, as JSON, what the builder needs to compile each one as a Vercel
// handler:
//
//   - the package name and the handler function (the first exported top-level
//     function without receiver whose parameters are exactly
//     (http.ResponseWriter, *http.Request), whatever name net/http is imported as);
//   - the byte offsets of every identifier in the file that refers to that
//     function, so the builder can rename it without touching anything else;
//   - the package name of every other .go file in the same directory, so files
//     of a different package can be left out of the build;
//   - whether `go build` would ignore the file for the target platform and
//     tags (file name, build constraints, cgo), and why;
//   - the first place where the handler's package, or a package of the same
//     module that it imports, uses response streaming (http.Flusher,
//     http.ResponseController, http.NewResponseController or a
//     "text/event-stream" string).
//
// Usage:
//
//	analyze [-goos GOOS] [-goarch GOARCH] [-tags a,b] [-module-root DIR -module-path PATH] [-conflicts] [--] FILE...
//
// The output is one JSON object {"files":[...]} with one entry per FILE, in
// argument order: {"file":FILE,"ok":{...}} or
// {"file":FILE,"error":{"message":...,"line":N,"column":N}}. The exit status
// is 0 whatever the files contain, so the caller can tell a user error from a
// crash of this program; 2 means the command line itself is wrong.
//
// This program is compiled with the project's Go, which may be as old as
// 1.13: no generics, no `any`, no os.ReadDir/os.ReadFile.
package main

import (
	"encoding/json"
	"flag"
	"go/build"
	"io"
	"os"
	"strings"
)

const usage = "usage: analyze [-goos GOOS] [-goarch GOARCH] [-tags a,b] [-module-root DIR -module-path PATH] [-conflicts] [--] FILE...\n"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program: it writes the JSON to stdout and returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("analyze", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		io.WriteString(stderr, usage)
		flags.PrintDefaults()
	}
	goos := flags.String("goos", build.Default.GOOS, "target operating system")
	goarch := flags.String("goarch", build.Default.GOARCH, "target architecture")
	tags := flags.String("tags", "", "comma-separated build tags")
	moduleRoot := flags.String("module-root", "", "directory of the go.mod of the handler's module")
	modulePath := flags.String("module-path", "", "module path declared in that go.mod")
	conflicts := flags.Bool("conflicts", false, "report the siblings' declarations named like the handler")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if flags.NArg() == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	if (*moduleRoot == "") != (*modulePath == "") {
		io.WriteString(stderr, "analyze: -module-root and -module-path go together\n")
		return 2
	}
	a := newAnalyzer(*goos, *goarch, splitTags(*tags), *moduleRoot, *modulePath)
	a.conflicts = *conflicts
	out := output{Files: make([]fileResult, 0, flags.NArg())}
	for _, file := range flags.Args() {
		out.Files = append(out.Files, a.analyze(file))
	}
	if err := json.NewEncoder(stdout).Encode(out); err != nil {
		return 1
	}
	return 0
}

// splitTags accepts the forms `go build -tags` accepts: comma-separated, or
// (the older form) space-separated.
func splitTags(s string) []string {
	tags := []string{}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		tags = append(tags, t)
	}
	return tags
}
