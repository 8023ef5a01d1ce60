package main

// create -d must write chunks C-Blosc2 decompresses: its decoder refuses a
// dictionary larger than BLOSC2_MAXDICTSIZE (error -9), so python-blosc2
// and the original's unpack could not read such parts.

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/bench"
	"github.com/hdf5vault/hdf5vault/blosc"
)

func TestCreateDictWithinCBounds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen")
	if _, err := bench.Generate(gen, bench.FieldSpec(1, 2<<20, 7)); err != nil {
		t.Fatal(err)
	}
	var field []byte
	filepath.WalkDir(gen, func(p string, d os.DirEntry, err error) error {
		if err == nil && filepath.Ext(p) == ".tif" && field == nil {
			field, err = os.ReadFile(p)
		}
		return err
	})
	if len(field) < 2<<20 {
		t.Fatalf("no 2 MiB synthetic field in %s", gen)
	}
	// Around the size where a 32 KiB dictionary content first fits the 5%
	// budget (655,360 bytes), and a whole field.
	src := filepath.Join(dir, "src")
	sizes := map[string]int{"f655000": 655000, "f656000": 656000, "f700000": 700000, "field": len(field)}
	for name, n := range sizes {
		if err := os.MkdirAll(src, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), field[:n], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Join(dir, "a")
	if r := runBin(t, "create", src, base, "-d", "-w", "1", "-q"); r.code != 0 {
		t.Fatalf("create -d: exit %d\n%s", r.code, r.stderr)
	}
	// Read each stored chunk with h5py (not our HDF5 reader) and parse the
	// dictionary size from the Blosc2 layout.
	out := h5py(t, `
import h5py, json, sys
res = {}
with h5py.File(sys.stdin.read(), "r") as f:
    def visit(name, o):
        if isinstance(o, h5py.Dataset):
            res[name] = o[:].tobytes().hex()
    f.visititems(visit)
print(json.dumps(res))
`, []byte(base+".h5"))
	var chunks map[string]string
	if err := json.Unmarshal([]byte(out), &chunks); err != nil {
		t.Fatalf("h5py output: %v\n%.300s", err, out)
	}
	for name, n := range sizes {
		hexChunk, ok := chunks[name+".blosc2"]
		if !ok {
			t.Fatalf("%s: no compressed dataset %s.blosc2 among %d datasets", name, name, len(chunks))
		}
		chunk, err := hex.DecodeString(hexChunk)
		if err != nil {
			t.Fatal(err)
		}
		h, err := blosc.ParseHeader(chunk)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !h.UseDict {
			t.Errorf("%s: stored without a dictionary", name)
			continue
		}
		off := h.HeaderLen() + 4*h.NBlocks() // the dictionary follows the block starts
		size := int(int32(binary.LittleEndian.Uint32(chunk[off:])))
		if size < blosc.MinUsefulDict || size > min(blosc.MaxDictSize, n/20) {
			t.Errorf("%s (%d bytes): dictionary of %d bytes, C-Blosc2 accepts 1..%d and writes at most %d",
				name, n, size, blosc.MaxDictSize, min(blosc.MaxDictSize, n/20))
		}
	}
	if r := runBin(t, "verify", base); r.code != 0 {
		t.Fatalf("verify: exit %d\n%s", r.code, r.stderr)
	}
}
