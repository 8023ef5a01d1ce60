package h5sink

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/hdf5vault/hdf5vault/archive"
)

func TestSingleFileOmitsSetAttrs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.h5")
	writeSamples(t, path, Options{}, samples()[:1], sampleRoot(1, 0))
	d := h5pyDump(t, path)
	for _, k := range []string{archive.AttrFileNumber, archive.AttrNumFiles} {
		if _, ok := d.Root[k]; ok {
			t.Errorf("single-file archive stores %s", k)
		}
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Root().NumFiles != 1 || r.Root().FileNumber != 0 {
		t.Errorf("root = %+v, want NumFiles 1, FileNumber 0", r.Root())
	}
}

// TestBigIndex: the index attribute can be tens of MB (10^6 files). -short
// writes 4 MB, which takes the same path (dense attribute storage, above
// 64 KiB). It is written both from a copy in C and, as create hands it
// over (InfoNUL), from Go memory as it is.
func TestBigIndex(t *testing.T) {
	size := 30 << 20
	if testing.Short() {
		size = 4 << 20
	}
	var b strings.Builder
	b.WriteString("{")
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n\"Images/plate%04d/f%07d.tif\": [{\"chunk\": null, \"archive_number\": 0, \"dataset\": \"Images/plate%04d/f%07d.tif.blosc2\", \"compression\": \"blosc2\"}]", i/1000, i, i/1000, i)
	}
	b.WriteString("\n}")
	t.Run("copied", func(t *testing.T) { checkBigIndex(t, b.String(), false) })
	t.Run("in place", func(t *testing.T) {
		z := append([]byte(b.String()), 0)
		checkBigIndex(t, unsafe.String(&z[0], len(z)-1), true)
	})
}

func checkBigIndex(t *testing.T, info string, nul bool) {
	path := filepath.Join(t.TempDir(), "big_index.h5")
	root := sampleRoot(1, 0)
	root.Info, root.InfoNUL = info, nul
	writeSamples(t, path, Options{}, samples()[:1], root)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := withInfo(t, r).Info; got != root.Info {
		t.Fatalf("index of %d bytes read back as %d bytes, different", len(root.Info), len(got))
	}
	needH5py(t)
	out, err := exec.Command(python, "-c", `import sys, h5py, json, hashlib
with h5py.File(sys.argv[1], "r") as f:
    s = f.attrs["__HDF5Vault_info__"]
    print(len(json.loads(s)), hashlib.sha256(s.encode()).hexdigest())`, path).Output()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var sum string
	fmt.Sscan(string(out), &n, &sum)
	want := sha256.Sum256([]byte(root.Info))
	if sum != hex.EncodeToString(want[:]) || n != strings.Count(root.Info, "archive_number") {
		t.Errorf("h5py reads %d files, sha256 %s; want %d, %x", n, sum, strings.Count(root.Info, "archive_number"), want)
	}
}

// TestInfoNULChecked: an index said to be followed by a NUL byte that is
// not is refused, not read past its end by libhdf5.
func TestInfoNULChecked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nonul.h5")
	w, err := Create(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	z := []byte("{}x")
	root := sampleRoot(1, 0)
	root.Info, root.InfoNUL = unsafe.String(&z[0], 2), true
	if err := w.Finish(root); err == nil || !strings.Contains(err.Error(), "not followed by a NUL byte") {
		t.Fatalf("Finish = %v, want the index refused as not followed by a NUL byte", err)
	}
}
