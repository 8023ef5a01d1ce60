package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/blosc"
)

func TestCompressBoundCountsEveryFile(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(dir, Spec{Plates: 1, Wells: 1, Fields: 3, Channels: 1, Width: 64, Height: 64, Seed: 1,
		SmallFiles: 5, SmallSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	files, err := LoadTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := CompressBound(context.Background(), files, blosc.DefaultOptions(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != st.Files || res.Bytes != st.Bytes || res.Stored <= 0 || res.Op != OpMemory ||
		res.Setting != (Setting{"zstd", 8, 3, 0}) {
		t.Errorf("bound %+v, generated %+v", res, st)
	}
	// Every chunk is at most its input plus the Blosc2 header.
	if max := res.Bytes + int64(len(files))*blosc.MaxOverhead; res.Stored > max {
		t.Errorf("stored %d > %d", res.Stored, max)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CompressBound(ctx, files, blosc.DefaultOptions(), 2); err == nil {
		t.Error("a cancelled bound reported no error")
	}
}

// BenchmarkFieldRatio compresses synthetic 2 MiB fields with the original's
// settings and reports the ratio (the generator is tuned to about 2.45, the
// reference acquisition's) and the single-core speed.
func BenchmarkFieldRatio(b *testing.B) {
	files := fourFields(b)
	var err error
	var res Result
	for b.Loop() {
		if res, err = CompressBound(context.Background(), files, blosc.DefaultOptions(), 1); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(res.Bytes)
	b.ReportMetric(res.Ratio(), "ratio")
}

// BenchmarkClevel compresses the same synthetic 2 MiB fields at the levels
// the -c help compares (1, 5, 8, 9) on one goroutine, the levels in turn
// within each iteration so that a loaded machine's drift falls on all of
// them alike, and reports each level's MB/s and ratio, and its time
// relative to -c 8 ("c9-x-c8": how many times -c 8's time -c 9 takes).
func BenchmarkClevel(b *testing.B) {
	files := fourFields(b)
	var err error
	levels := []int{1, 5, 8, 9}
	wall := make([]time.Duration, len(levels))
	res := make([]Result, len(levels))
	for b.Loop() {
		for i, level := range levels {
			opts := blosc.DefaultOptions()
			opts.Level = level
			if res[i], err = CompressBound(context.Background(), files, opts, 1); err != nil {
				b.Fatal(err)
			}
			wall[i] += res[i].Wall
		}
	}
	for i, level := range levels {
		b.ReportMetric(float64(res[i].Bytes)*float64(b.N)/1e6/wall[i].Seconds(), fmt.Sprintf("c%d-MB/s", level))
		b.ReportMetric(res[i].Ratio(), fmt.Sprintf("c%d-ratio", level))
		b.ReportMetric(wall[i].Seconds()/wall[2].Seconds(), fmt.Sprintf("c%d-x-c8", level))
	}
}

// fourFields generates four synthetic 2 MiB fields and reads them in.
func fourFields(b *testing.B) [][]byte {
	b.Helper()
	dir := b.TempDir()
	if _, err := Generate(dir, FieldSpec(4, 2<<20, 1)); err != nil {
		b.Fatal(err)
	}
	files, err := LoadTree(dir)
	if err != nil {
		b.Fatal(err)
	}
	return files
}
