package main

// The JSON the program prints: one entry per FILE, its analysis or its
// error (go/README.md is the contract).

import "go/scanner"

type sibling struct {
	File        string `json:"file"`
	PackageName string `json:"packageName"`
	// Regular is false for anything that is not a regular file (FIFO,
	// socket, device, dangling symlink); such a file is never opened and
	// its PackageName is "".
	Regular bool `json:"regular"`
	// HandlerNameOffsets (with -conflicts, for a file of the handler's
	// package): the byte offsets of the file's own top-level declaration
	// named like the handler and of its references to it in that file.
	HandlerNameOffsets []int `json:"handlerNameOffsets"`
}

// streamingUse is the first place where a package uses response streaming.
type streamingUse struct {
	File string `json:"file"`
	Line int    `json:"line"`
	What string `json:"what"`
}

type analysis struct {
	PackageName   string `json:"packageName"`
	FunctionName  string `json:"functionName"`
	RenameOffsets []int  `json:"renameOffsets"`
	// FunctionOffset is the byte offset of the handler's name in its
	// declaration (-1 without a handler).
	FunctionOffset int `json:"functionOffset"`
	// HTTPName is a name net/http is imported under in the file ("." for a
	// dot import); "" without a handler.
	HTTPName  string        `json:"httpName"`
	Siblings  []sibling     `json:"siblings"`
	Ignored   *string       `json:"ignored"`
	Streaming *streamingUse `json:"streaming"`
}

type fileError struct {
	Message string `json:"message"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
}

type fileResult struct {
	File  string     `json:"file"`
	Ok    *analysis  `json:"ok,omitempty"`
	Error *fileError `json:"error,omitempty"`
}

type output struct {
	Files []fileResult `json:"files"`
}

func toFileError(err error) *fileError {
	if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
		first := list[0]
		return &fileError{Message: first.Msg, Line: first.Pos.Line, Column: first.Pos.Column}
	}
	return &fileError{Message: err.Error()}
}
