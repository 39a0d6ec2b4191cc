package main

import (
	"bytes"
	"testing"
)

func TestLineWriter(t *testing.T) {
	var buf bytes.Buffer
	l := &lineWriter{w: &buf, atLineStart: true}
	l.Line("executable: one")
	l.Write([]byte("user output without newline"))
	l.Line("executable: two")
	l.Write([]byte("line\n"))
	l.Line("executable: three")
	want := "executable: one\nuser output without newline\nexecutable: two\nline\nexecutable: three\n"
	if buf.String() != want {
		t.Fatalf("%q", buf.String())
	}
}

func TestSwapPath(t *testing.T) {
	cases := map[string]string{
		"swap /a/b\n":              "/a/b",
		"swap /a/b c\r\n":          "/a/b c",
		"  swap   ./x  \n":         "./x",
		"swap\n":                   "",
		"swap \n":                  "",
		"swapx /a\n":               "",
		"SWAP /a\n":                "",
		"restart\n":                "",
		"swap C:\\dev\\server.exe": "C:\\dev\\server.exe",
	}
	for line, want := range cases {
		got, ok := swapPath(line)
		if got != want || ok != (want != "") {
			t.Errorf("%q → %q %v", line, got, ok)
		}
	}
}
