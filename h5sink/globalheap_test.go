package h5sink

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// writeInfoKinds writes, with h5py, one file per way an index attribute can
// be stored: a variable-length string behind other heap objects (the heap
// walk passes them), a fixed-length string, an empty string, none.
func writeInfoKinds(t *testing.T, dir, info string) map[string]string {
	t.Helper()
	needH5py(t)
	script := `import sys, h5py, numpy as np
d, info = sys.argv[1], sys.stdin.read()
for name, libver in (("vlen", "earliest"), ("vlen18", "v108")):
    with h5py.File(d + "/" + name + ".h5", "w", libver=(libver, "latest")) as f:
        f.attrs["__Description__"] = "d"
        f.attrs["__HDF5Vault_version__"] = "0.3.0"
        for i in range(20):
            f.create_dataset("x%d" % i, data=np.zeros(1, np.int8)).attrs["compression"] = "blosc2" * i
        f.attrs["__HDF5Vault_info__"] = info
with h5py.File(d + "/fixed.h5", "w") as f:
    f.attrs["__HDF5Vault_info__"] = np.bytes_(info.encode())
with h5py.File(d + "/empty.h5", "w") as f:
    f.attrs["__HDF5Vault_info__"] = ""
with h5py.File(d + "/none.h5", "w") as f:
    f.attrs["__Description__"] = "d"
`
	cmd := exec.Command(python, "-c", script, dir)
	cmd.Stdin = strings.NewReader(info)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	return map[string]string{"vlen": info, "vlen18": info, "fixed": info, "empty": "", "none": ""}
}

// TestInfoReader: the JSON index is found and streamed from the file,
// its length known first, for every way h5py stores it, in this process
// and through the probe child.
func TestInfoReader(t *testing.T) {
	dir := t.TempDir()
	want := writeInfoKinds(t, dir, `{"a/b.txt": [{"dataset": "a/b.txt"}]}`+strings.Repeat(" ", 5000))
	check := func(t *testing.T) {
		for name, w := range want {
			r, err := Open(filepath.Join(dir, name+".h5"))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			rd, n, err := r.InfoReader()
			if err != nil || n != int64(len(w)) {
				t.Fatalf("%s: InfoReader: %d bytes, %v; want %d", name, n, err, len(w))
			}
			b, err := io.ReadAll(rd)
			if err != nil || string(b) != w {
				t.Errorf("%s: streamed %q, %v", name, b, err)
			}
			if info, err := r.Info(); err != nil || info != w {
				t.Errorf("%s: Info %q, %v", name, info, err)
			}
			r.Close()
		}
	}
	t.Run("direct", check)
	t.Run("probe", func(t *testing.T) {
		withProbe(t, context.Background())
		check(t)
	})
}

// TestInfoHeapDamage: a damaged global heap collection or object header
// is a damage error naming the file, never a panic or a huge allocation.
func TestInfoHeapDamage(t *testing.T) {
	dir := t.TempDir()
	info := `{"f": [{"dataset": "f"}]}`
	writeInfoKinds(t, dir, info)
	orig, err := os.ReadFile(filepath.Join(dir, "vlen.h5"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(filepath.Join(dir, "vlen.h5"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := readAttrPlace(r.file, archive.AttrInfo)
	r.Close()
	if err != nil || p.kind != 0 {
		t.Fatalf("place: %+v, %v", p, err)
	}
	coll := int(p.ref.Addr)
	obj := bytes.Index(orig[coll:], []byte(info)) + coll - heapHeaderLen
	le := binary.LittleEndian
	cases := map[string]func(b []byte){
		"magic":               func(b []byte) { b[coll] = 'X' },
		"version":             func(b []byte) { b[coll+4] = 2 },
		"collection too long": func(b []byte) { le.PutUint64(b[coll+8:], 1<<40) },
		"object too long":     func(b []byte) { le.PutUint64(b[obj+8:], 1<<40) },
		"object of another size": func(b []byte) {
			le.PutUint64(b[obj+8:], uint64(len(info)+1))
		},
		"no such object": func(b []byte) { le.PutUint16(b[obj:], 999) },
	}
	for name, damage := range cases {
		b := bytes.Clone(orig)
		damage(b)
		if _, err := heapObject(bytes.NewReader(b), int64(len(b)), p.ref); !errors.Is(err, archive.ErrDamaged) {
			t.Errorf("%s: heapObject: %v, want a damage error", name, err)
		}
		path := filepath.Join(dir, "damaged.h5")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// libhdf5 reads the other root attributes from the same
		// collection at Open: it may refuse the file first.
		r, err := Open(path)
		if err == nil {
			_, err = r.Info()
			r.Close()
		}
		if !errors.Is(err, archive.ErrDamaged) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want a damage error naming the file", name, err)
		}
	}
}

// FuzzHeapObject: the global heap reader never panics, and what it
// returns lies inside the file.
func FuzzHeapObject(f *testing.F) {
	coll := []byte("GCOL\x01\x00\x00\x00")
	coll = binary.LittleEndian.AppendUint64(coll, 64)
	obj := []byte{1, 0, 1, 0, 0, 0, 0, 0}
	obj = binary.LittleEndian.AppendUint64(obj, 5)
	seed := append(append(coll, obj...), "hello\x00\x00\x00"...)
	f.Add(append(make([]byte, 8), seed...), uint64(8), uint32(1), uint32(5))
	f.Add(seed, uint64(0), uint32(2), uint32(5))
	f.Fuzz(func(t *testing.T, file []byte, addr uint64, idx, n uint32) {
		ref := vlenRef{Len: n, Addr: addr, Idx: idx}
		off, err := heapObject(bytes.NewReader(file), int64(len(file)), ref)
		if err != nil {
			if !errors.Is(err, archive.ErrDamaged) {
				t.Fatalf("not a damage error: %v", err)
			}
			return
		}
		if off < int64(addr)+2*heapHeaderLen || off+int64(n) > int64(len(file)) {
			t.Fatalf("object at %d+%d outside a %d-byte file (collection at %d)", off, n, len(file), addr)
		}
	})
}
