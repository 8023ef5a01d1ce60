package shard

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/bench"
	"github.com/hdf5vault/hdf5vault/walker"
)

// TestAssignBalanced: 4 shards of 256 similar fields (and the sidecars)
// get shares within 10% of each other in bytes, every file exactly once,
// and the same answer however often it is asked.
func TestAssignBalanced(t *testing.T) {
	dir := t.TempDir()
	if _, err := bench.Generate(dir, bench.FieldSpec(256, 64<<10, 3)); err != nil {
		t.Fatal(err)
	}
	l, err := List(context.Background(), dir, walker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Paths) < 256 {
		t.Fatalf("listed %d files", len(l.Paths))
	}
	a := Assign(l, 4)
	load := make([]int64, 4)
	for i, k := range a {
		load[k] += l.Sizes[i]
	}
	lo, hi := load[0], load[0]
	for _, b := range load {
		lo, hi = min(lo, b), max(hi, b)
	}
	if float64(hi) > 1.1*float64(lo) {
		t.Errorf("shard bytes %v: largest %.3f× the smallest", load, float64(hi)/float64(lo))
	}
	total := 0
	for k := range 4 {
		total += len(Select(l, 4, k))
	}
	if total != len(l.Paths) {
		t.Errorf("shares hold %d files of %d", total, len(l.Paths))
	}
	l2, _ := List(context.Background(), dir, walker.Options{})
	if l2.Digest != l.Digest || fmt.Sprint(Assign(l2, 4)) != fmt.Sprint(a) {
		t.Error("a second listing of the same tree assigns differently")
	}
	os.WriteFile(filepath.Join(dir, "extra"), []byte("x"), 0o644)
	if l3, _ := List(context.Background(), dir, walker.Options{}); l3.Digest == l.Digest {
		t.Error("a new file leaves the listing's digest as it was")
	}
}

// TestAssignEmptyFiles: empty files spread over the shards too.
func TestAssignEmptyFiles(t *testing.T) {
	l := &Listing{}
	for i := range 8 {
		l.Paths = append(l.Paths, fmt.Sprintf("e%d", i))
		l.Sizes = append(l.Sizes, 0)
	}
	count := make([]int, 4)
	for _, k := range Assign(l, 4) {
		count[k]++
	}
	if fmt.Sprint(count) != "[2 2 2 2]" {
		t.Errorf("8 empty files over 4 shards: %v", count)
	}
}

func TestParseRecordRefuses(t *testing.T) {
	good := Record{Settings: Settings{ChunkSize: 100}, Entries: []File{
		{Path: "a", Size: 150, Checksum: "00112233445566778899aabbccddeeff", Parts: [][5]int64{{2, 10, 90, 100, 1}, {3, 10, 50, 50, 0}}},
		{Path: "b", Size: 0, Checksum: "00112233445566778899aabbccddeeff", Parts: [][5]int64{{2, -1, 0, 0, 0}}},
	}}
	b, _ := json.Marshal(good)
	if _, err := ParseRecord(b, []int{2, 3}); err != nil {
		t.Fatalf("good record: %v", err)
	}
	for name, mut := range map[string]func(r *Record){
		"other shard's archive": func(r *Record) { r.Entries[0].Parts[0][0] = 0 },
		"unsafe path":           func(r *Record) { r.Entries[0].Path = "../x" },
		"out of order":          func(r *Record) { r.Entries[1].Path = "a" },
		"parts short":           func(r *Record) { r.Entries[0].Parts = r.Entries[0].Parts[:1] },
		"bytes do not add up":   func(r *Record) { r.Entries[0].Size = 149 },
		"bad checksum":          func(r *Record) { r.Entries[1].Checksum = "xyz" },
		"split size":            func(r *Record) { r.Settings.ChunkSize = 0 },
		"negative offset":       func(r *Record) { r.Entries[0].Parts[0][1] = -5 },
	} {
		var r Record
		json.Unmarshal(b, &r)
		mut(&r)
		bb, _ := json.Marshal(r)
		if _, err := ParseRecord(bb, []int{2, 3}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEntryRoundTrip(t *testing.T) {
	e := archive.Entry{Path: "x/y", Size: 5, MtimeNs: -3, Mode: 0o640, Checksum: [16]byte{1, 2, 3},
		Parts: []archive.SidePart{{Archive: 1, Offset: 4096, Stored: 7, Raw: 5, Compressed: true}}}
	f := FromEntry(&e)
	if got := f.Entry(); fmt.Sprint(got) != fmt.Sprint(e) {
		t.Errorf("round trip: %+v, want %+v", got, e)
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"settings":{"chunk_size":100},"files":[{"path":"a","size":1,"xxh3_128":"00112233445566778899aabbccddeeff","parts":[[0,1,1,1,0]]}]}`), 2)
	f.Add([]byte(`{}`), 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		members := []int{n % 8, n%8 + 1}
		r, err := ParseRecord(b, members)
		if err != nil {
			return
		}
		for i := range r.Entries {
			e := r.Entries[i].Entry()
			var raw int64
			for _, p := range e.Parts {
				if p.Archive != members[0] && p.Archive != members[1] {
					t.Fatalf("accepted archive %d", p.Archive)
				}
				raw += p.Raw
			}
			if raw != e.Size {
				t.Fatalf("accepted parts of %d bytes for %d", raw, e.Size)
			}
		}
	})
}
