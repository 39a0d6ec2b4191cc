package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
)

func TestOutputShape(t *testing.T) {
	root := writeTree(t, map[string]string{"h.go": "package h\n"})
	var stdout, stderr bytes.Buffer
	if code := run([]string{filepath.Join(root, "h.go")}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	var raw map[string][]map[string]json.RawMessage
	if err := json.Unmarshal(stdout.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	var ok map[string]json.RawMessage
	if err := json.Unmarshal(raw["files"][0]["ok"], &ok); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"packageName", "functionName", "renameOffsets", "functionOffset", "httpName", "siblings", "ignored", "streaming"} {
		if _, present := ok[key]; !present {
			t.Errorf("ok has no %q: %s", key, stdout.String())
		}
	}
	if string(ok["ignored"]) != "null" || string(ok["streaming"]) != "null" ||
		string(ok["renameOffsets"]) != "[]" || string(ok["siblings"]) != "[]" {
		t.Errorf("unexpected values: %s", stdout.String())
	}
}
