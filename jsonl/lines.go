package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"sync"
)

// Lines writes JSON lines: one object per line, each written whole with
// one Write, so that a reader of a pipe sees complete lines as they come.
// Its methods are safe from many goroutines. The first write error is kept
// (Err) and later lines are dropped.
type Lines struct {
	mu  sync.Mutex
	w   io.Writer
	bw  *bufio.Writer // Buffered: lines wait here until Flush
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

// NewLines writes to w.
func NewLines(w io.Writer) *Lines {
	l := &Lines{w: w}
	l.enc = json.NewEncoder(&l.buf)
	l.enc.SetEscapeHTML(false) // paths with & < > stay readable
	return l
}

// Write writes v, a struct with a message_type, as one line.
func (l *Lines) Write(v any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	l.buf.Reset()
	if l.err = l.enc.Encode(v); l.err == nil { // Encode ends the line
		_, l.err = l.w.Write(l.buf.Bytes())
	}
}

// Buffered collects lines in a buffer of size bytes written when full and
// by Flush: one system call per line would slow a listing of a million
// files, whose reader needs no line at once.
func (l *Lines) Buffered(size int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bw = bufio.NewWriterSize(l.w, size)
	l.w = l.bw
}

// Flush writes what Buffered holds.
func (l *Lines) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bw != nil && l.err == nil {
		l.err = l.bw.Flush()
	}
	return l.err
}

// Err is the first error met writing.
func (l *Lines) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// ProblemLine is a "damaged", "differs" or "failed" line.
type ProblemLine struct {
	MessageType string `json:"message_type"`
	Problem
}

// ErrorLine says why the run failed, before the summary.
type ErrorLine struct {
	MessageType string `json:"message_type"` // TypeError
	Error       string `json:"error"`
	Path        string `json:"path,omitempty"` // the file the error is about, when it is known
}

// FileLine is one file of ls.
type FileLine struct {
	MessageType string `json:"message_type"` // TypeFile
	Path        string `json:"path"`
	SizeBytes   int64  `json:"size_bytes"`
	StoredBytes int64  `json:"stored_bytes"`
	Parts       int    `json:"parts"`
	Archives    []int  `json:"archives"`           // the archive numbers holding its parts
	Mtime       string `json:"mtime,omitempty"`    // RFC 3339, when the archive records it
	Mode        string `json:"mode,omitempty"`     // permission bits in octal, when recorded
	Checksum    string `json:"checksum,omitempty"` // "xxh3-128:<hex>", when recorded
}
