package archiveset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/selection"
)

// sideSet is a set of n empty files read through a side index (256 entries
// a block), counting the blocks read; and the same files as a JSON-indexed set.
func sideSet(t *testing.T, n int) (side *Set, blocksRead *int, plain *Set) {
	t.Helper()
	es := make([]archive.Entry, n)
	for i := range es {
		es[i] = archive.Entry{Path: fmt.Sprintf("Plate1/W%03d/field_%05d.tif", i/50, i), Mode: 0o644,
			Parts: []archive.SidePart{{Offset: -1}}}
	}
	b, err := archive.EncodeSideIndex(archive.SideHeader{Members: 1, ChunkSize: 1000}, n, func(i int) *archive.Entry { return &es[i] })
	if err != nil {
		t.Fatal(err)
	}
	h, err := archive.ParseSideHeader(b[:archive.SideHeaderLen], int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	reads := new(int)
	r := bytes.NewReader(b)
	x, err := archive.OpenSideIndex(func(dst []byte, off int64) error {
		if off >= archive.SideHeaderLen+h.TableLen {
			*reads++
		}
		_, err := r.ReadAt(dst, off)
		return err
	}, int64(len(b)), []int64{1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	m := []*Member{{Path: "side.h5"}}
	plain = &Set{Members: m}
	for i := range es {
		plain.Files = append(plain.Files, *fileOf(&es[i]))
	}
	return &Set{Members: m, Side: x}, reads, plain
}

func paths(t *testing.T, s *Set) []string {
	t.Helper()
	var out []string
	if err := s.Walk(context.Background(), func(f *File) error { out = append(out, f.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func newSel(t *testing.T, p, inc, exc []string) *selection.Selection {
	t.Helper()
	sel, err := selection.New(p, inc, exc)
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

// One path reads the one block that holds it; a directory the blocks it spans.
func TestSelectReadsOnlyItsBlocks(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		paths     []string
		files     int
		maxBlocks int
	}{
		{[]string{"Plate1/W010/field_00505.tif"}, 1, 1},
		{[]string{"Plate1/W020"}, 50, 2},
		{[]string{"Plate1/W001", "Plate1/W002", "Plate1/W003/field_00150.tif"}, 101, 1}, // one block, read once
		{[]string{"Plate1/W000/field_00000.tif", "Plate1/W059/field_02999.tif"}, 2, 2},
	} {
		s, reads, _ := sideSet(t, 3000)
		if err := s.Select(ctx, newSel(t, c.paths, nil, nil)); err != nil {
			t.Fatal(err)
		}
		if *reads > c.maxBlocks {
			t.Errorf("%q: Select read %d blocks of %d, want at most %d", c.paths, *reads, s.Side.Blocks(), c.maxBlocks)
		}
		*reads = 0
		got := paths(t, s)
		if len(got) != c.files || s.Len() != int64(c.files) {
			t.Errorf("%q: walked %d files, Len %d, want %d", c.paths, len(got), s.Len(), c.files)
		}
		if *reads > c.maxBlocks {
			t.Errorf("%q: Walk read %d blocks, want at most %d", c.paths, *reads, c.maxBlocks)
		}
	}
}

// A selected walk is the full walk filtered by Match, for side-indexed and
// JSON-indexed sets alike.
func TestSelectEqualsFilter(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ p, inc, exc []string }{
		{[]string{"Plate1/W005", "Plate1/W004/field_00201.tif"}, nil, nil},
		{nil, []string{"Plate1/W01*/field_*5.tif"}, []string{"*0.tif"}},
		{nil, []string{"*_0001?.tif", "Plate1/W050"}, nil},
		{nil, nil, []string{"Plate1/W00?", "*7.tif"}},
		{[]string{"Plate1"}, nil, []string{"W03*/"}},
	} {
		side, _, plain := sideSet(t, 3000)
		all := paths(t, side)
		sel := newSel(t, c.p, c.inc, c.exc)
		want := slices.DeleteFunc(slices.Clone(all), func(p string) bool { return !sel.Match(p) })
		for name, s := range map[string]*Set{"side": side, "json": plain} {
			if err := s.Select(ctx, newSel(t, c.p, c.inc, c.exc)); err != nil {
				t.Fatal(err)
			}
			if got := paths(t, s); !slices.Equal(got, want) || s.Len() != int64(len(want)) {
				t.Errorf("%s %v: %d files (Len %d), want %d", name, c, len(got), s.Len(), len(want))
			}
		}
	}
}

func TestSelectNotFound(t *testing.T) {
	s, _, _ := sideSet(t, 600)
	sel := newSel(t, []string{"Plate1/W001", "Plate1/W0", "nope/x.tif"}, []string{"*.png"}, nil)
	if err := s.Select(context.Background(), sel); err != nil {
		t.Fatal(err)
	}
	var nf *NotFoundError
	if err := NotFound(sel); !errors.As(err, &nf) || !slices.Equal(nf.Missing, []string{"Plate1/W0", "nope/x.tif", "--include *.png"}) {
		t.Errorf("NotFound: %v", err)
	}
}
