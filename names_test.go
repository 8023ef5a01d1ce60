package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLongestNameCompressedAndSplit: a file whose name has the 255 bytes
// Linux allows is archived when it compresses (its dataset name gains
// ".blosc2") and when it is split (it gains "____part<n>" too), in both
// containers, and comes back byte for byte.
func TestLongestNameCompressedAndSplit(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "src")
	long := strings.Repeat("n", 251) + ".tif"
	files := map[string][]byte{
		"plate/" + long:                       bytes.Repeat([]byte("compressible "), 4000),
		"split/" + strings.Repeat("s", 255):   bytes.Repeat([]byte("parts "), 60_000),
		strings.Repeat("d", 255) + "/" + long: []byte("raw"),
	}
	for rel, b := range files {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, zip := range []bool{false, true} {
		out := t.TempDir()
		args := []string{"create", "-q", "-w", "2", "-s", "100000", src, filepath.Join(out, "set")}
		if zip {
			args = append(args, "-z")
		}
		mustRun(t, args...)
		mustRun(t, "verify", filepath.Join(out, "set"))
		dest := filepath.Join(out, "restore")
		mustRun(t, "unpack", "-d", dest, filepath.Join(out, "set"))
		sameTree(t, sourceFiles(t, filepath.Join(dest, "set")), files)
	}
}

// TestDatasetNameClashNeedsTwoWriters: "x" stored compressed and a raw
// "x.blosc2" would both be dataset x.blosc2. Two writers keep them in
// different archive files; one writer cannot, and create says so, naming
// both files and the fix, and leaves nothing behind.
func TestDatasetNameClashNeedsTwoWriters(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{
		"d/x":        bytes.Repeat([]byte("compressible "), 2000),
		"d/x.blosc2": {0x8f, 0x01, 0x77}, // too short to compress: stored raw
	}
	for rel, b := range files {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	msg, code := run(t, "create", "-q", "-w", "1", src, filepath.Join(out, "one"))
	if code != 1 || !strings.Contains(msg, "equals that of") || !strings.Contains(msg, filepath.Join(src, "d", "x")) ||
		!strings.Contains(msg, `"d/x.blosc2"`) || !strings.Contains(msg, "-w") {
		t.Errorf("-w 1: exit %d, want 1 and an error naming both files and -w:\n%s", code, msg)
	}
	if left := listDir(t, out); len(left) != 0 {
		t.Errorf("-w 1 left %v", left)
	}
	mustRun(t, "create", "-q", "-w", "2", src, filepath.Join(out, "two"))
	mustRun(t, "unpack", "-d", filepath.Join(out, "restore"), filepath.Join(out, "two"))
	sameTree(t, sourceFiles(t, filepath.Join(out, "restore", "two")), files)
}
