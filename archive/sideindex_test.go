package archive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/zeebo/xxh3"
)

const testChunk = 1000

// testEntries makes n files in ascending path order over two members, with
// empty, raw, compressed and split files, payloads laid end to end.
func testEntries(n int) []Entry {
	es := make([]Entry, n)
	next := [2]int64{4096, 4096}
	for i := range es {
		e := &es[i]
		e.Path = fmt.Sprintf("Plate1/W%03d/field_%05d.tif", i/50, i)
		e.Size = int64(i*37) % 2600
		e.MtimeNs = 1_700_000_000_000_000_000 + int64(i)
		e.Mode = 0o644
		e.Checksum = xxh3.Hash128([]byte(e.Path)).Bytes()
		for k := 0; k < NumParts(e.Size, testChunk); k++ {
			raw := min(testChunk, e.Size-int64(k)*testChunk)
			p := SidePart{Archive: (i + k) % 2, Offset: -1, Raw: raw, Stored: raw}
			if i%3 == 0 && raw > 0 {
				p.Compressed, p.Stored = true, raw/2+32
			}
			if p.Stored > 0 {
				p.Offset = next[p.Archive]
				next[p.Archive] += p.Stored
			}
			e.Parts = append(e.Parts, p)
		}
	}
	return es
}

var testSet = [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

func encodeTest(t testing.TB, es []Entry, ordered bool) []byte {
	t.Helper()
	b, err := encodeSide(SideHeader{SetID: testSet, Members: 2, ChunkSize: testChunk}, len(es), func(i int) *Entry { return &es[i] }, ordered)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func openTest(b []byte, sizes ...int64) (*SideIndex, error) {
	if sizes == nil {
		sizes = []int64{1 << 30, 1 << 30}
	}
	r := bytes.NewReader(b)
	return OpenSideIndex(func(dst []byte, off int64) error {
		_, err := r.ReadAt(dst, off)
		return err
	}, int64(len(b)), sizes)
}

// walkAll opens and walks a side index; the first error of either.
func walkAll(b []byte, sizes ...int64) ([]Entry, error) {
	x, err := openTest(b, sizes...)
	if err != nil {
		return nil, err
	}
	var out []Entry
	err = x.Each(func(e *Entry) error {
		out = append(out, *e)
		return nil
	})
	return out, err
}

func TestSideIndexRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, BlockEntries, 1000} {
		es := testEntries(n)
		b := encodeTest(t, es, true)
		got, err := walkAll(b)
		if err != nil {
			t.Fatalf("%d entries: %v", n, err)
		}
		if len(got) != n {
			t.Fatalf("%d entries read back as %d", n, len(got))
		}
		for i := range es {
			if !entryEqual(&got[i], &es[i]) {
				t.Fatalf("entry %d: got %+v, want %+v", i, got[i], es[i])
			}
		}
	}
}

func entryEqual(a, b *Entry) bool {
	return a.Path == b.Path && a.Size == b.Size && a.MtimeNs == b.MtimeNs && a.Mode == b.Mode &&
		a.Checksum == b.Checksum && slices.Equal(a.Parts, b.Parts)
}

func TestSideIndexFind(t *testing.T) {
	es := testEntries(1000)
	x, err := openTest(encodeTest(t, es, true))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 255, 256, 257, 511, 512, 999} {
		e, ok, err := x.Find(es[i].Path)
		if err != nil || !ok || !entryEqual(&e, &es[i]) {
			t.Errorf("Find(%q) = %+v, %v, %v", es[i].Path, e, ok, err)
		}
		e, err = x.EntryAt(i)
		if err != nil || !entryEqual(&e, &es[i]) {
			t.Errorf("EntryAt(%d) = %+v, %v", i, e, err)
		}
	}
	for _, p := range []string{"", "A", "Plate1/W000/field_00000.tif0", "Plate1/W019/field_00999.tiff", "zzz"} {
		if _, ok, err := x.Find(p); ok || err != nil {
			t.Errorf("Find(%q) = %v, %v; want not found", p, ok, err)
		}
	}
}

// Every single flipped bit is detected, wherever it lands.
func TestSideIndexFlippedBytes(t *testing.T) {
	b := encodeTest(t, testEntries(600), true)
	for i := 0; i < len(b); i += 1 + i/50 {
		bad := slices.Clone(b)
		bad[i] ^= 0x10
		if _, err := walkAll(bad); !errors.Is(err, ErrSideIndex) {
			t.Fatalf("flipped byte %d of %d: err = %v, want ErrSideIndex", i, len(b), err)
		}
	}
}

func TestSideIndexTruncated(t *testing.T) {
	b := encodeTest(t, testEntries(600), true)
	for _, n := range []int{0, 10, SideHeaderLen - 1, SideHeaderLen, SideHeaderLen + 30, len(b) / 2, len(b) - 1} {
		if _, err := walkAll(b[:n]); !errors.Is(err, ErrSideIndex) {
			t.Errorf("truncated to %d of %d: err = %v, want ErrSideIndex", n, len(b), err)
		}
	}
}

// rewrite changes a header field and re-seals its checksum, as a careless
// or hostile writer would.
func rewrite(b []byte, at int, v uint32) []byte {
	b = slices.Clone(b)
	binary.LittleEndian.PutUint32(b[at:], v)
	binary.LittleEndian.PutUint64(b[96:], xxh3.Hash(b[:96]))
	return b
}

func TestSideIndexHostile(t *testing.T) {
	es := testEntries(600)
	good := encodeTest(t, es, true)
	// forge encodes es after change has altered a copy of it.
	forge := func(ordered bool, change func([]Entry) []Entry) []byte {
		return encodeTest(t, change(cloneEntries(es)), ordered)
	}
	cases := []struct {
		name  string
		b     []byte
		sizes []int64
		want  string
	}{
		{"file count", rewrite(good, 48, 601), nil, "entries, the header says"},
		{"member count", rewrite(good, 32, 3), nil, "set of 3 members"},
		{"block count", rewrite(good, 64, 2), nil, "after the block table"},
		{"huge table claim", rewrite(good, 68, 1<<31), nil, "the index has"},
		{"offsets past end", good, []int64{5000, 5000}, "past the end of member 0"},
		{"zero member sizes", good, []int64{0, 0}, "exceeds"},
		{"unsorted in a block", forge(false, func(e []Entry) []Entry { e[10], e[11] = e[11], e[10]; return e }), nil, "not sorted"},
		{"unsorted across blocks", forge(false, func(e []Entry) []Entry { e[255], e[256] = e[256], e[255]; return e }), nil, "not sorted"},
		{"archive out of range", forge(true, func(e []Entry) []Entry { e[7].Parts[0].Archive = 2; return e }), nil, "archive number 2 exceeds 1"},
		{"part count", forge(true, func(e []Entry) []Entry { e[40].Parts = e[40].Parts[:1]; return e }), nil, "parts, a file of"},
		{"sizes disagree", forge(true, func(e []Entry) []Entry { e[8].Size++; return e }), nil, "parts hold"},
		{"unsafe path", forge(false, func(e []Entry) []Entry { e[9].Path = e[8].Path + "x/../../etc/passwd"; return e }), nil, "unsafe segment"},
		{"file and directory", forge(true, func(e []Entry) []Entry {
			dir := Entry{Path: e[2].Path + "/x", Parts: []SidePart{{Offset: -1}}}
			return append(e[:3], append([]Entry{dir}, e[3:]...)...)
		}), nil, "both a file and a directory"},
		{"file and directory apart", forge(true, func(e []Entry) []Entry {
			// e[2].Path + ".z" sorts between e[2] and the directory entry.
			mid := Entry{Path: e[2].Path + ".z", Parts: []SidePart{{Offset: -1}}}
			dir := Entry{Path: e[2].Path + "/x", Parts: []SidePart{{Offset: -1}}}
			return append(e[:3], append([]Entry{mid, dir}, e[3:]...)...)
		}), nil, "both a file and a directory"},
	}
	for _, c := range cases {
		_, err := walkAll(c.b, c.sizes...)
		if !errors.Is(err, ErrSideIndex) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrSideIndex with %q", c.name, err, c.want)
		}
	}
}

func cloneEntries(es []Entry) []Entry {
	out := slices.Clone(es)
	for i := range out {
		out[i].Parts = slices.Clone(out[i].Parts)
	}
	return out
}

func TestCheckOverlaps(t *testing.T) {
	ok := []Span{{Off: 0, End: 10, Archive: 0, Entry: 0}, {Off: 10, End: 20, Archive: 0, Entry: 1}, {Off: 5, End: 15, Archive: 1, Entry: 2}, {Off: 3, End: 3, Archive: 0, Entry: 3}}
	if o := CheckOverlaps(ok); o != nil {
		t.Errorf("adjacent spans: %v", o)
	}
	bad := []Span{{Off: 100, End: 200, Archive: 1, Entry: 4}, {Off: 0, End: 10, Archive: 0, Entry: 0}, {Off: 150, End: 160, Archive: 1, Entry: 9}}
	o := CheckOverlaps(bad)
	if o == nil || o.A.Entry != 4 || o.B.Entry != 9 || !errors.Is(o, ErrSideIndex) {
		t.Errorf("overlap: %v", o)
	}
}

func TestEncodeSideIndexRefusesUnsorted(t *testing.T) {
	es := testEntries(3)
	es[1], es[2] = es[2], es[1]
	if _, err := EncodeSideIndex(SideHeader{SetID: testSet, Members: 2, ChunkSize: testChunk}, 3, func(i int) *Entry { return &es[i] }); err == nil {
		t.Error("unsorted entries encoded")
	}
}

// FuzzSideIndex feeds arbitrary bytes to the side index reader: it must
// never panic, never allocate what a header merely claims, and refuse or
// walk cleanly.
func FuzzSideIndex(f *testing.F) {
	f.Add(encodeTest(f, testEntries(3), true))
	f.Add(encodeTest(f, testEntries(300), true))
	f.Add([]byte(sideMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= SideHeaderLen {
			if h, err := ParseSideHeader(data, int64(len(data))); err == nil && h.Members > 64 {
				return
			}
		}
		members := 2
		if len(data) >= 36 {
			members = max(1, min(64, int(binary.LittleEndian.Uint32(data[32:]))))
		}
		sizes := make([]int64, members)
		for i := range sizes {
			sizes[i] = 1 << 40
		}
		x, err := openTest(data, sizes...)
		if err != nil {
			return
		}
		x.Each(func(e *Entry) error {
			if CleanRel(e.Path) != nil {
				t.Fatalf("unsafe path %q accepted", e.Path)
			}
			return nil
		})
		x.Find("Plate1/W000/field_00001.tif")
	})
}

// TestPathOrder: a file that is also a directory of a later path is
// found with other paths between them, in both index forms' order check.
func TestPathOrder(t *testing.T) {
	for _, c := range []struct {
		paths []string
		want  string // "" for none
	}{
		{[]string{"a", "a.txt", "a/b"}, `"a" is both a file and a directory`},
		{[]string{"a", "a-b", "a.c", "a/b/c"}, `"a" is both a file and a directory`},
		{[]string{"x/a", "x/a.d", "x/a.d/e"}, `"x/a.d" is both a file and a directory`},
		{[]string{"a b", "a.txt", "a/b", "ab", "b/c", "b0"}, ""},
		{[]string{"a", "ab", "abc/d"}, ""},
		{[]string{"d/a", "d/b", "d/a/c"}, "not sorted"},
		{[]string{"a", "a"}, "not sorted"},
	} {
		var o PathOrder
		var err error
		for _, p := range c.paths {
			if err = o.Next(p); err != nil {
				break
			}
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.paths, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: err = %v, want %q", c.paths, err, c.want)
		}
	}
}

// TestSideCopyReadsTableWhenUsed: a copy opened with OpenSideCopy reads
// its header alone; its table is read when a damaged block of the first
// copy sends a reader to it, and a damaged table is found then (and by
// CheckBlocks), not taken on trust.
func TestSideCopyReadsTableWhenUsed(t *testing.T) {
	es := testEntries(1000)
	b := encodeTest(t, es, true)
	h, err := ParseSideHeader(b[:SideHeaderLen], int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int64{1 << 30, 1 << 30}
	counted := func(b []byte, n *int64) ReadAtFunc {
		r := bytes.NewReader(b)
		return func(dst []byte, off int64) error {
			*n += int64(len(dst))
			_, err := r.ReadAt(dst, off)
			return err
		}
	}
	// The first copy's last block is damaged, the second copy is intact.
	bad := slices.Clone(b)
	bad[len(bad)-3] ^= 1
	var firstRead, copyRead int64
	x, err := OpenSideIndex(counted(bad, &firstRead), int64(len(b)), sizes)
	if err != nil {
		t.Fatal(err)
	}
	c, err := OpenSideCopy(counted(b, &copyRead), int64(len(b)), sizes)
	if err != nil {
		t.Fatal(err)
	}
	if copyRead != SideHeaderLen {
		t.Errorf("opening a copy read %d bytes, want its %d-byte header alone", copyRead, SideHeaderLen)
	}
	x.Copies = []*SideIndex{c}
	if _, ok, err := x.Find(es[0].Path); !ok || err != nil {
		t.Fatalf("find in an intact block: %v, %v", ok, err)
	}
	if copyRead != SideHeaderLen {
		t.Errorf("a lookup in an intact block of the first copy read %d bytes of the second", copyRead-SideHeaderLen)
	}
	got, ok, err := x.Find(es[len(es)-1].Path)
	if !ok || err != nil || !entryEqual(&got, &es[len(es)-1]) {
		t.Fatalf("find in the damaged block, from the copy: %v, %v", ok, err)
	}
	if copyRead < SideHeaderLen+h.TableLen {
		t.Errorf("the copy served a block without reading its table (%d bytes read)", copyRead)
	}

	// A copy whose table is damaged opens, and is refused where it is used.
	badTable := slices.Clone(b)
	badTable[SideHeaderLen+30] ^= 1
	var n int64
	c2, err := OpenSideCopy(counted(badTable, &n), int64(len(b)), sizes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Block(0, nil); !errors.Is(err, ErrSideIndex) {
		t.Errorf("block of a copy with a damaged table: %v", err)
	}
	if err := c2.CheckBlocks(); !errors.Is(err, ErrSideIndex) || !strings.Contains(err.Error(), "table") {
		t.Errorf("CheckBlocks of a copy with a damaged table: %v", err)
	}
}
