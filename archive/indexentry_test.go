package archive

import (
	"bytes"
	"encoding/json"
	"testing"
)

// reflectEntry is AppendIndexEntry as encoding/json writes it, the
// reference the fast path must match byte for byte.
func reflectEntry(b *bytes.Buffer, first bool, path string, parts []Part) {
	if !first {
		b.WriteByte(',')
	}
	k, _ := json.Marshal(path)
	v, _ := json.Marshal(parts)
	b.WriteString("\n")
	b.Write(k)
	b.WriteString(": ")
	b.Write(v)
}

// sameAsReflect checks AppendIndexEntry against reflectEntry.
func sameAsReflect(t *testing.T, first bool, path string, parts []Part) {
	t.Helper()
	var got, want bytes.Buffer
	if err := AppendIndexEntry(&got, first, path, parts); err != nil {
		t.Fatalf("%q: %v", path, err)
	}
	reflectEntry(&want, first, path, parts)
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("%q:\n got %s\nwant %s", path, got.Bytes(), want.Bytes())
	}
}

// TestIndexEntryAsJSON: the index is encoding/json's text whatever the
// names (escapes, HTML characters, invalid UTF-8, U+2028) and keys.
func TestIndexEntryAsJSON(t *testing.T) {
	names := []string{"a", "Plate1/B03/f07.tif", "", "q\"uo\\te", "<a&b>", "tab\tnl\nbell\x07",
		"del\x7f", "é/ü", "bad\xffutf8", "line\u2028sep", "~!@#$%^*()_+{}|:?`-=[];',./"}
	for _, name := range names {
		one := []Part{{ArchiveNumber: 1, Dataset: name + ".blosc2", Compression: Blosc2Method()}}
		split := []Part{
			{Chunk: Ptr(0), ArchiveNumber: 0, Dataset: name + "____part0", Compression: nil},
			{Chunk: Ptr(1), ArchiveNumber: 12, Dataset: name + "____part1.blosc2", Compression: Ptr("no<ne")},
		}
		ours := []Part{{ArchiveNumber: 0, Dataset: name, Size: Ptr(int64(3)), Checksum: "xxh3-128:00", Mode: Ptr(uint32(0o644))}}
		for _, parts := range [][]Part{one, split, ours, {}, nil} {
			sameAsReflect(t, true, name, parts)
			sameAsReflect(t, false, name, parts)
		}
	}
}

// FuzzIndexEntry: for any name and part fields, the fast path writes what
// encoding/json writes.
func FuzzIndexEntry(f *testing.F) {
	f.Add("a/b.tif", "a/b.tif.blosc2", 0, 1, true, false, "blosc2")
	f.Add("x<y>&\"\\", "x\u2028\xff", -1, 3, false, true, "\x00")
	f.Fuzz(func(t *testing.T, path, dataset string, archive, chunk int, compressed, ours bool, method string) {
		p := Part{ArchiveNumber: archive, Dataset: dataset}
		if chunk >= 0 {
			p.Chunk = Ptr(chunk)
		}
		if compressed {
			p.Compression = Ptr(method)
		}
		if ours {
			p.Stored = Ptr(int64(chunk))
		}
		sameAsReflect(t, archive%2 == 0, path, []Part{p, p})
	})
}
