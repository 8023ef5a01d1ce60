package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// sideScript prints the file offset and size of a member's side index, as
// h5py sees the dataset.
const sideScript = `
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    d = f["__HDF5Vault_index__"]
    print(d.id.get_offset(), d.size)
`

// sideAt locates member's side index: its offset and size in the file.
func sideAt(t *testing.T, member string) (off, size int64) {
	t.Helper()
	b, err := exec.Command("/usr/bin/python3", "-c", sideScript, member).Output()
	if err != nil {
		t.Fatalf("locating the side index of %s: %v", member, err)
	}
	if _, err := fmt.Sscan(string(b), &off, &size); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return off, size
}

// readsWell runs ls, cat, check and unpack on set and expects each to
// succeed with the source's content; stderr must name every string in warn.
func readsWell(t *testing.T, src string, set []string, catPath string, warn ...string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(catPath)))
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "dest")
	for _, args := range [][]string{{"ls"}, {"cat", "-p", catPath}, {"check", "-d", src}, {"unpack", "-d", dest}} {
		r := runBin(t, append(args, set...)...)
		wantFail(t, args[0], r, 0, warn...)
		switch args[0] {
		case "ls":
			if !strings.Contains(r.stdout, catPath+"\n") {
				t.Errorf("ls does not list %s:\n%s", catPath, r.stdout)
			}
		case "cat":
			if r.stdout != string(want) {
				t.Errorf("cat -p %s: %d bytes differ from the source's %d", catPath, len(r.stdout), len(want))
			}
		}
	}
	r := runBin(t, "check", "-d", filepath.Join(dest, archive.Stem(set[0], len(set) > 1)), set[0])
	if len(set) > 1 {
		r = runBin(t, append([]string{"check", "-d", filepath.Join(dest, archive.Stem(set[0], true))}, set...)...)
	}
	wantFail(t, "check of the unpacked tree", r, 0)
}

// TestSideIndexJSONNotRead: readers of a set with a side index never parse
// the JSON index, so a damaged JSON does not stop ls, cat, check or unpack;
// verify still finds it (the original's readers need it) and exits 3.
func TestSideIndexJSONNotRead(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	base := filepath.Join(t.TempDir(), "s")
	mustRun(t, "create", "-q", "-w", "2", "-s", "200000", src, base)
	_, c := copySet(t, []string{base + "_0.h5", base + "_1.h5"})
	replaceOnce(t, c[0], `"tiny.txt": [{`, 11, 'x') // breaks the JSON's structure
	readsWell(t, src, c, "tiny.txt")
	wantFail(t, "verify", runBin(t, append([]string{"verify"}, c...)...), 3, filepath.Base(c[0]), archive.AttrInfo)
	wantFail(t, "verify of the intact member", runBin(t, "verify", base+"_0.h5", base+"_1.h5"), 0)
}

// TestSideIndexDamagedCopy: a damaged block or header in one member's copy
// is read from another member's; verify names the damage.
func TestSideIndexDamagedCopy(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	base := filepath.Join(t.TempDir(), "s")
	mustRun(t, "create", "-q", "-w", "3", "-s", "200000", src, base)
	set := []string{base + "_0.h5", base + "_1.h5", base + "_2.h5"}

	t.Run("block", func(t *testing.T) {
		_, c := copySet(t, set)
		off, size := sideAt(t, c[0])
		flipAt(t, c[0], off+size-3) // the last block's last entry
		readsWell(t, src, c, "tiny.txt")
		wantFail(t, "verify", runBin(t, append([]string{"verify"}, c...)...), 3, "side index copy 1", "block")
	})
	t.Run("header", func(t *testing.T) {
		sampleOut(t, 1)
		_, c := copySet(t, set)
		off, _ := sideAt(t, c[1])
		flipAt(t, c[1], off+20) // inside the set id
		readsWell(t, src, c, "tiny.txt", "damaged side index copy", filepath.Base(c[1]))
		wantFail(t, "verify", runBin(t, append([]string{"verify"}, c...)...), 3, "damaged side index copy", filepath.Base(c[1]))
	})
}

// TestSideIndexOnlyCopyDamaged: in a single-file set a damaged block has no
// other copy: the readers refuse, saying so; a damaged header makes them
// read the JSON index instead, saying so.
func TestSideIndexOnlyCopyDamaged(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	base := filepath.Join(t.TempDir(), "one")
	mustRun(t, "create", "-q", "-w", "1", src, base)

	t.Run("block", func(t *testing.T) {
		sampleOut(t, 1)
		_, c := copySet(t, []string{base + ".h5"})
		off, size := sideAt(t, c[0])
		flipAt(t, c[0], off+size-3)
		dest := filepath.Join(t.TempDir(), "d")
		for _, args := range [][]string{{"ls"}, {"unpack", "-d", dest}} {
			wantFail(t, args[0], runBin(t, append(args, c...)...), 1, "side index", "checksum mismatch", "refusing")
		}
		if _, err := os.Stat(dest); err == nil {
			t.Error("unpack wrote something from a damaged side index")
		}
		wantFail(t, "verify", runBin(t, append([]string{"verify"}, c...)...), 3, "side index", "checksum mismatch")
	})
	t.Run("header", func(t *testing.T) {
		_, c := copySet(t, []string{base + ".h5"})
		off, _ := sideAt(t, c[0])
		flipAt(t, c[0], off+40)
		readsWell(t, src, c, "Images/A02/Zelle ü 1.txt", "reading the JSON index instead")
		wantFail(t, "verify", runBin(t, append([]string{"verify"}, c...)...), 3, "reading the JSON index instead")
	})
}

// TestSideIndexForeignMember: members of two runs over the same tree are
// not one set, even where their JSON indexes might agree.
func TestSideIndexForeignMember(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	dir := t.TempDir()
	mustRun(t, "create", "-q", "-w", "2", src, filepath.Join(dir, "a"))
	mustRun(t, "create", "-q", "-w", "2", src, filepath.Join(dir, "b"))
	mixed := []string{filepath.Join(dir, "a_0.h5"), filepath.Join(dir, "b_1.h5")}
	for _, cmd := range []string{"ls", "verify"} {
		wantFail(t, cmd, runBin(t, append([]string{cmd}, mixed...)...), 1, "different side index", "not a member of the same set")
	}
}

// TestReadsEarlierSets: sets written by hdf5vault before the side index
// (testdata/v1, made at commit 48370e6 with `create -w 2 -s 200000`, HDF5
// and zip, from ../shared/fixtures/hdf5vault/tree) still read, through
// their JSON index.
func TestReadsEarlierSets(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(createFixtureTree); err != nil {
		t.Skipf("reference tree %s absent: %v", createFixtureTree, err)
	}
	for _, base := range []string{"tree", "ztree"} {
		ext := map[string]string{"tree": ".h5", "ztree": ".zip"}[base]
		set := []string{"testdata/v1/" + base + "_0" + ext, "testdata/v1/" + base + "_1" + ext}
		readsWell(t, createFixtureTree, set, "Images/A02/Zelle ü 1.txt")
		wantFail(t, "verify", runBin(t, append([]string{"verify"}, set...)...), 0)
	}
}

// TestSideIndexOverlap: a side index whose parts claim the same bytes of a
// member (consistent otherwise, checksums and all, in every copy) is
// refused by unpack before anything is written and reported by verify.
func TestSideIndexOverlap(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	base := filepath.Join(t.TempDir(), "one")
	mustRun(t, "create", "-q", "-w", "1", src, base)
	_, c := copySet(t, []string{base + ".h5"})
	x, es := sideEntries(t, c[0])
	// Point the first stored part of one file at the bytes of another's
	// (offsets of the same varint length, so the index keeps its size).
	var first *archive.SidePart
	var victim string
	for i := range es {
		for k := range es[i].Parts {
			p := &es[i].Parts[k]
			switch {
			case p.Stored == 0:
			case first == nil:
				first = p
			case victim == "" && p.Offset < first.Offset+first.Stored+1<<14 && p.Offset > first.Offset:
				p.Offset, victim = first.Offset+1, es[i].Path
			}
		}
	}
	if victim == "" {
		t.Fatal("no part to move")
	}
	forgeSide(t, c[0], x, es)
	dest := filepath.Join(t.TempDir(), "d")
	wantFail(t, "unpack", runBin(t, "unpack", "-d", dest, c[0]), 1, "claim the same bytes", victim)
	if _, err := os.Stat(dest); err == nil {
		t.Error("unpack wrote something from an inconsistent side index")
	}
	wantFail(t, "verify", runBin(t, "verify", c[0]), 3, "claim the same bytes", victim)
}

// sideEntries reads the side index of a single-member set's member.
func sideEntries(t *testing.T, member string) (*archive.SideIndex, []archive.Entry) {
	t.Helper()
	off, size := sideAt(t, member)
	b, err := os.ReadFile(member)
	if err != nil {
		t.Fatal(err)
	}
	side := b[off : off+size]
	x, err := archive.OpenSideIndex(func(dst []byte, o int64) error {
		copy(dst, side[o:])
		return nil
	}, size, []int64{int64(len(b))})
	if err != nil {
		t.Fatal(err)
	}
	var es []archive.Entry
	if err := x.Each(func(e *archive.Entry) error {
		es = append(es, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return x, es
}

// forgeSide replaces the side index of a single-member set's member with
// es, encoded under x's header with consistent checksums: es must encode
// to the same length (offsets of the same varint length).
func forgeSide(t *testing.T, member string, x *archive.SideIndex, es []archive.Entry) {
	t.Helper()
	off, size := sideAt(t, member)
	forged, err := archive.EncodeSideIndex(x.Header, len(es), func(i int) *archive.Entry { return &es[i] })
	if err != nil || int64(len(forged)) != size {
		t.Fatalf("re-encoded index: %d bytes (want %d), %v", len(forged), size, err)
	}
	fh, err := os.OpenFile(member, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteAt(forged, off); err != nil {
		t.Fatal(err)
	}
}
