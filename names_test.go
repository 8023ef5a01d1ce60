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
