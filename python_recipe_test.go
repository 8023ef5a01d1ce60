package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/blosc"
)

// readmeRecipe returns the Python block of the README's "Reading a set from
// Python" section, as it stands there.
func readmeRecipe(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sect, ok := strings.Cut(string(b), "\n## Reading a set from Python\n")
	_, code, ok2 := strings.Cut(sect, "```python\n")
	code, _, ok3 := strings.Cut(code, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no ```python block under ## Reading a set from Python")
	}
	return code
}

// TestPythonRecipe runs the README's Python recipe against a set made by the
// binary: split files, parts in both members, raw and Blosc2 parts, and a
// second set whose name starts like this one's beside it. python-blosc2
// cannot be installed on the test machines, so the payloads the recipe reads
// are decoded here with hdf5vault's decoder in place of blosc2.decompress;
// everything up to that call runs as written, and a file of raw parts is
// read whole through the recipe's command line.
func TestPythonRecipe(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("/usr/bin/python3 (with h5py) not available")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "Plate1", "B03"), 0o755)
	text := []byte(strings.Repeat("field B03 f07: 16-bit counts, 100 offset, noise\n", 8000)) // 392 kB: 4 compressed parts
	random := make([]byte, 250000)                                                            // 3 raw parts
	x := uint32(3)
	for i := range random {
		x = x*1664525 + 1013904223
		random[i] = byte(x >> 24)
	}
	files := map[string][]byte{"Plate1/B03/B03_f07_ch1.txt": text, "Plate1/random.bin": random, "small.txt": []byte("tiny\n"), "empty": nil}
	for p, b := range files {
		os.WriteFile(filepath.Join(src, p), b, 0o644)
	}
	base := filepath.Join(dir, "set")
	for _, args := range [][]string{{"-w", "2", "-s", "100000", src, base}, {"-w", "1", src, base + "x"}} {
		if r := runBin(t, append([]string{"create", "-q"}, args...)...); r.code != 0 {
			t.Fatalf("create %q: exit %d %s", args, r.code, r.stderr)
		}
	}
	recipe := filepath.Join(dir, "hdf5vault_read.py")
	os.WriteFile(recipe, []byte(readmeRecipe(t)), 0o644)
	dump := filepath.Join(dir, "dump")
	os.Mkdir(dump, 0o755)
	driver := fmt.Sprintf(`
import json, os, sys
sys.path.insert(0, %q)
import hdf5vault_read as r
members = r.open_set(%q)
idx = r.index(members)
out = {"members": sorted(members), "files": {}}
for i, path in enumerate(sorted(idx)):
    ps = []
    for j, (n, dataset, compressed) in enumerate(r.parts(idx, path)):
        fn = os.path.join(%q, "%%d_%%d" %% (i, j))
        with open(fn, "wb") as f:
            f.write(r.payload(members, n, dataset))
        ps.append({"archive": n, "compressed": compressed, "file": fn})
    out["files"][path] = ps
print(json.dumps(out))
`, dir, base, dump)
	var got struct {
		Members []int
		Files   map[string][]struct {
			Archive    int
			Compressed bool
			File       string
		}
	}
	if err := json.Unmarshal([]byte(h5py(t, driver, nil)), &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Members) != "[0 1]" {
		t.Errorf("members %v, want [0 1] (the set beside it must not count)", got.Members)
	}
	if len(got.Files) != len(files) {
		t.Errorf("index lists %d files, want %d", len(got.Files), len(files))
	}
	dec := blosc.NewDecoder()
	kinds := map[string]bool{}
	archives := map[int]bool{}
	for p, want := range files {
		var b []byte
		for _, part := range got.Files[p] {
			payload, err := os.ReadFile(part.File)
			if err != nil {
				t.Fatal(err)
			}
			archives[part.Archive] = true
			kinds[fmt.Sprint("compressed ", part.Compressed)] = true
			if part.Compressed { // what blosc2.decompress does in the recipe
				if payload, err = dec.DecodeAll(payload, nil); err != nil {
					t.Fatalf("%s: part from %s: %v", p, part.File, err)
				}
			}
			b = append(b, payload...)
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s: the recipe's parts give %d bytes, want the source's %d", p, len(b), len(want))
		}
		if parts := (len(want) + 99999) / 100000; len(got.Files[p]) != max(parts, 1) {
			t.Errorf("%s: %d parts, want %d", p, len(got.Files[p]), max(parts, 1))
		}
	}
	if len(archives) != 2 {
		t.Errorf("payloads read from members %v; the test wants both", archives)
	}
	if !kinds["compressed true"] || !kinds["compressed false"] {
		t.Errorf("part kinds %v: the test needs both raw and Blosc2 parts", kinds)
	}
	// The recipe as a command, for a file of raw parts (no blosc2 needed).
	out, err := exec.Command("/usr/bin/python3", recipe, base, "Plate1/random.bin").Output()
	if err != nil || !bytes.Equal(out, random) {
		t.Errorf("python3 hdf5vault_read.py BASE Plate1/random.bin: %v, %d bytes, want the source's %d", err, len(out), len(random))
	}
}
