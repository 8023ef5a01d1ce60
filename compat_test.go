package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/blosc"
)

// originalRestore is the original HDF5Vault's read path, written the way its
// Python tooling reads a set: json.loads of the index, then for every path
// its entries by the four keys the original knows, parts in chunk order,
// payload = f[dataset][:].tobytes(). It ignores every other key, as old readers
// do. Only blosc2.decompress is left to the caller (python-blosc2 is not
// packaged for Debian): each payload is written to OUT/<path>.<k> together
// with a manifest line "path<TAB>k<TAB>compression".
const originalRestore = `
import h5py, json, os, sys
out, files = sys.argv[1], sys.argv[2:]
handles = [h5py.File(fn, "r") for fn in files]
info = json.loads(handles[0].attrs["__HDF5Vault_info__"])
for h in handles[1:]:
    assert json.loads(h.attrs["__HDF5Vault_info__"]) == info, "members disagree on the index"
manifest = []
for path, entries in info.items():
    entries = sorted(entries, key=lambda e: e["chunk"] or 0)
    for k, e in enumerate(entries):
        f = handles[e["archive_number"]]
        payload = f[e["dataset"]][:].tobytes()
        assert f[e["dataset"]].attrs["compression"] == (e["compression"] or "None")
        dst = os.path.join(out, path) + "." + str(k)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as w:
            w.write(payload)
        manifest.append("%s\t%d\t%s" % (path, k, e["compression"]))
print("\n".join(manifest))
`

// TestOriginalReaderReadsOurArchives proves the extra index keys (sizes,
// offsets, checksums, mtime, mode) do not disturb the original's readers:
// its restore loop, run by h5py, rebuilds every source file.
func TestOriginalReaderReadsOurArchives(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	base := filepath.Join(t.TempDir(), "set")
	if r := runBin(t, "create", src, base, "-w", "3", "-s", "200000", "-q"); r.code != 0 {
		t.Fatalf("create: exit %d: %s", r.code, r.stderr)
	}
	members := []string{base + "_0.h5", base + "_1.h5", base + "_2.h5"}
	out := t.TempDir()
	argv := "import sys\nsys.argv = ['x', " + pyList(append([]string{out}, members...)) + "]\n"
	manifest := h5py(t, argv+originalRestore, nil)

	got := map[string][]byte{}
	dec := blosc.NewDecoder()
	parts := 0
	for _, line := range strings.Split(strings.TrimSpace(manifest), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("manifest line %q", line)
		}
		payload, err := os.ReadFile(filepath.Join(out, f[0]) + "." + f[1])
		if err != nil {
			t.Fatal(err)
		}
		if f[2] == "blosc2" {
			if payload, err = dec.DecodeAll(payload, nil); err != nil {
				t.Fatalf("%s part %s: %v", f[0], f[1], err)
			}
		} else if f[2] != "None" {
			t.Fatalf("%s: compression %q", f[0], f[2])
		}
		got[f[0]] = append(got[f[0]], payload...)
		parts++
	}
	want := sourceFiles(t, src)
	if len(got) != len(want) {
		t.Errorf("original reader restored %d files, source has %d", len(got), len(want))
	}
	for p, b := range want {
		if !bytes.Equal(got[p], b) {
			t.Errorf("%s: original reader restored %d bytes that differ from the source (%d)", p, len(got[p]), len(b))
		}
	}
	if parts <= len(want) {
		t.Errorf("expected split files at -s 200000: %d parts for %d files", parts, len(want))
	}
}

func pyList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
	}
	return strings.Join(q, ", ")
}
