package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
)

func baseConfig(src string, ws []archive.Writer) Config {
	return Config{
		Source:    src,
		ChunkSize: 1000,
		Compress:  true,
		Blosc:     blosc.DefaultOptions(),
		Jobs:      2,
		MaxMemory: 64 << 10,
		Writers:   ws,
		Root:      archive.RootAttrs{Description: "test", Version: archive.Version},
	}
}

// TestRunStoresEveryFile checks the whole contract on a fake writer: every
// file's parts are stored under the right names, decode to the source
// bytes, and the index (identical in every writer) carries the checksums,
// sizes and offsets.
func TestRunStoresEveryFile(t *testing.T) {
	files := map[string][]byte{
		"empty.dat":        {},
		"tiny.txt":         []byte("abc"),
		"a/zeros.raw":      make([]byte, 2500), // 3 parts of 1000, compressible
		"a/b/pattern.bin":  pattern(999, 1),
		"a/b/exact.bin":    pattern(2000, 2), // exactly 2 parts
		"odd/name.blosc2":  pattern(1500, 3),
		"Zelle ü 1.txt":    bytes.Repeat([]byte("Zelle "), 50),
		".hidden/conf.txt": []byte("{}"),
	}
	src := writeTree(t, files)
	ws, fw := fakes(3)
	res, err := Run(context.Background(), baseConfig(src, ws))
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, files, fw, res, 1000)
}

// checkStored checks a run of files (with split size chunk) on fake writers
// against the contract: every part stored under its name with its attributes,
// decoding to the source bytes, and the same index in every writer.
func checkStored(t *testing.T, files map[string][]byte, fw []*fakeWriter, res *Result, chunk int64) {
	t.Helper()
	if res.Files != int64(len(files)) {
		t.Fatalf("files = %d, want %d", res.Files, len(files))
	}
	var infos []string
	for i, w := range fw {
		if w.root == nil {
			t.Fatalf("writer %d not finished", i)
		}
		if w.root.NumFiles != len(fw) || w.root.FileNumber != i || w.root.ChunkSize != chunk {
			t.Errorf("writer %d root attrs %+v", i, *w.root)
		}
		infos = append(infos, w.root.Info)
		// The writers may hand the index to C without a copy.
		if !w.root.InfoNUL || *(*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(w.root.Info)), len(w.root.Info))) != 0 {
			t.Errorf("writer %d: the index is not followed by a NUL byte (InfoNUL %v)", i, w.root.InfoNUL)
		}
	}
	for _, info := range infos {
		if info != infos[0] {
			t.Fatal("index differs between archive files")
		}
	}
	ix, err := archive.ParseIndex([]byte(infos[0]), len(fw))
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Files) != len(files) {
		t.Fatalf("index has %d files, want %d", len(ix.Files), len(files))
	}
	side := checkSideIndex(t, fw, ix, chunk)
	dec := blosc.NewDecoder()
	var rawTotal int64
	for _, f := range ix.Files {
		want, ok := files[f.Path]
		if !ok {
			t.Fatalf("unexpected path %q in index", f.Path)
		}
		e := side[f.Path]
		if e.Checksum != xxh3.Hash128(want).Bytes() || e.Size != int64(len(want)) || e.MtimeNs == 0 || e.Mode != 0o640 {
			t.Errorf("%s: side index file facts %+v", f.Path, e)
		}
		if f.Parts[0].Checksum != "" || f.Parts[0].Offset != nil || f.Parts[0].Size != nil {
			t.Errorf("%s: the JSON index carries more than the original's keys: %+v", f.Path, f.Parts[0])
		}
		nparts := archive.NumParts(int64(len(want)), chunk)
		if len(f.Parts) != nparts {
			t.Fatalf("%s: %d parts, want %d", f.Path, len(f.Parts), nparts)
		}
		var got []byte
		for k, p := range f.Parts {
			sp := e.Parts[k]
			if p.Dataset != archive.DatasetName(f.Path, k, nparts, p.Compressed()) {
				t.Errorf("%s part %d: dataset %q", f.Path, k, p.Dataset)
			}
			payload, ok := fw[p.ArchiveNumber].dsets[p.Dataset]
			if !ok {
				t.Fatalf("%s: dataset %q not in archive %d", f.Path, p.Dataset, p.ArchiveNumber)
			}
			a := fw[p.ArchiveNumber].attrs[p.Dataset]
			if (a.Compression == archive.MethodBlosc2) != p.Compressed() || a.NumChunks != nparts || (nparts > 1 && a.Chunk != k) {
				t.Errorf("%s: dataset attrs %+v", p.Dataset, a)
			}
			if sp.Stored != int64(len(payload)) {
				t.Errorf("%s: stored size %d, payload %d", p.Dataset, sp.Stored, len(payload))
			}
			if len(payload) > 0 && sp.Offset < 0 {
				t.Errorf("%s: no offset", p.Dataset)
			}
			part := payload
			if p.Compressed() {
				if len(payload) >= int(sp.Raw) {
					t.Errorf("%s: compressed payload not smaller than raw", p.Dataset)
				}
				var err error
				part, err = dec.DecodeAll(payload, nil)
				if err != nil {
					t.Fatalf("%s: %v", p.Dataset, err)
				}
			}
			if int64(len(part)) != sp.Raw {
				t.Errorf("%s: size %d, decoded %d", p.Dataset, sp.Raw, len(part))
			}
			got = append(got, part...)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: stored bytes differ from the source", f.Path)
		}
		rawTotal += int64(len(want))
	}
	if res.RawBytes != rawTotal {
		t.Errorf("raw bytes %d, want %d", res.RawBytes, rawTotal)
	}
	var stored int64
	for i, w := range fw {
		stored += w.stored()
		if res.Archives[i].Stored != w.stored() {
			t.Errorf("archive %d: result says %d stored, writer has %d", i, res.Archives[i].Stored, w.stored())
		}
	}
	if res.StoredBytes != stored {
		t.Errorf("stored bytes %d, writers hold %d", res.StoredBytes, stored)
	}
}

// TestRunNoCompression: -m none stores every payload raw, without suffix.
func TestRunNoCompression(t *testing.T) {
	src := writeTree(t, map[string][]byte{"z.raw": make([]byte, 5000)})
	ws, fw := fakes(1)
	cfg := baseConfig(src, ws)
	cfg.Compress = false
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for k := range 5 {
		name := fmt.Sprintf("z.raw____part%d", k)
		if b, ok := fw[0].dsets[name]; !ok || len(b) != 1000 || fw[0].attrs[name].Compression != archive.MethodNone {
			t.Errorf("%s: missing or not raw", name)
		}
	}
}

// TestRunBoundedMemory: with slow writers and many files the pool's
// high-water mark reaches but never exceeds the budget.
func TestRunBoundedMemory(t *testing.T) {
	files := map[string][]byte{}
	for i := range 60 {
		files[fmt.Sprintf("d%d/f%03d", i%4, i)] = pattern(3000+97*i, byte(i))
	}
	src := writeTree(t, files)
	ws, fw := fakes(2)
	for _, w := range fw {
		w.delay = time.Millisecond
	}
	cfg := baseConfig(src, ws)
	cfg.ChunkSize = 4096
	cfg.MaxMemory = 48 << 10
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.HighWater > cfg.MaxMemory {
		t.Fatalf("pool high water %d exceeds budget %d", res.HighWater, cfg.MaxMemory)
	}
	// Each part reserves about 2 x 4 KiB: a budget of 48 KiB must have filled up.
	if res.HighWater < cfg.MaxMemory/2 {
		t.Fatalf("pool high water %d: the budget was never used, the test proves nothing", res.HighWater)
	}
	if res.Files != 60 {
		t.Fatalf("files %d", res.Files)
	}
}

// TestRunOversizedPartRunsAlone: a part larger than the whole budget still
// goes through, alone.
func TestRunOversizedPartRunsAlone(t *testing.T) {
	src := writeTree(t, map[string][]byte{"big": pattern(100_000, 1), "small1": pattern(100, 2), "small2": pattern(200, 3)})
	ws, _ := fakes(2)
	cfg := baseConfig(src, ws)
	cfg.ChunkSize = 1 << 20
	cfg.MaxMemory = 16 << 10
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.HighWater != cfg.MaxMemory {
		t.Fatalf("high water %d, want the oversized part counted as the full budget %d", res.HighWater, cfg.MaxMemory)
	}
}

// TestRunBalanced: 256 similar files over 4 writers: largest within 1.1x of smallest.
func TestRunBalanced(t *testing.T) {
	files := map[string][]byte{}
	for i := range 256 {
		n := 2000 + (i*7919)%400 // sizes vary by up to 20%
		files[fmt.Sprintf("plate/w%03d.tif", i)] = pattern(n, byte(i))
	}
	src := writeTree(t, files)
	ws, fw := fakes(4)
	cfg := baseConfig(src, ws)
	cfg.ChunkSize = 1 << 20
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	lo, hi := fw[0].stored(), fw[0].stored()
	for _, w := range fw {
		lo, hi = min(lo, w.stored()), max(hi, w.stored())
	}
	if lo == 0 || float64(hi)/float64(lo) > 1.1 {
		t.Fatalf("unbalanced: smallest %d, largest %d bytes", lo, hi)
	}
}

// waitGoroutines waits until the goroutine count is back to base (goleak style).
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left (had %d):\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRunCancelStopsEverything: cancelling mid-run returns context.Canceled
// and leaves no goroutine behind, with every pool buffer returned: read
// parts' buffers, and mapped parts' weight (files of mapMin and more).
func TestRunCancelStopsEverything(t *testing.T) {
	small := map[string][]byte{}
	for i := range 200 {
		small[fmt.Sprintf("f%03d", i)] = pattern(5000, byte(i))
	}
	mapped := map[string][]byte{}
	for i := range 24 {
		mapped[fmt.Sprintf("m%02d", i)] = pattern(mapMin+4096*i, byte(i))
	}
	t.Run("read", func(t *testing.T) { cancelMidRun(t, small, 1000, 64<<10) })
	t.Run("mapped", func(t *testing.T) {
		var calls atomic.Int64
		testHookMapped = func(*part) { calls.Add(1) }
		t.Cleanup(func() { testHookMapped = nil })
		cancelMidRun(t, mapped, 4<<20, 16<<20)
		if canMap && calls.Load() == 0 {
			t.Error("no part was mapped: the test proves nothing")
		}
	})
}

func cancelMidRun(t *testing.T, files map[string][]byte, chunk, budget int64) {
	src := writeTree(t, files)
	base := runtime.NumGoroutine()
	ws, fw := fakes(2)
	var puts atomic.Int64
	for _, w := range fw {
		w.delay = 2 * time.Millisecond
	}
	cfg := baseConfig(src, ws)
	cfg.ChunkSize, cfg.MaxMemory = chunk, budget
	cfg.Progress = countingProgress{&puts}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for puts.Load() < 5 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	// Run's own steps, so that the test sees the run's pool afterwards.
	cfg.defaults()
	r := newRun(cfg)
	err := r.store(ctx)
	r.pool.Close() // drops the idle buffers: what is left was never returned
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if held := r.pool.Held(); held != 0 {
		t.Errorf("%d bytes of buffers never came back to the pool", held)
	}
	for i, w := range fw {
		if w.finished {
			t.Errorf("writer %d finished after cancel", i)
		}
	}
	waitGoroutines(t, base)
}

type countingProgress struct{ n *atomic.Int64 }

func (c countingProgress) Total(int64, int64, bool) {}
func (c countingProgress) Stored(int64)             { c.n.Add(1) }
func (c countingProgress) Close()                   {}

// TestRunFirstErrorNamesFile: a failing Put stops the run with an error that
// names the source file, and every goroutine ends.
func TestRunFirstErrorNamesFile(t *testing.T) {
	files := map[string][]byte{}
	for i := range 100 {
		files[fmt.Sprintf("f%03d", i)] = pattern(3000, byte(i))
	}
	src := writeTree(t, files)
	base := runtime.NumGoroutine()
	ws, fw := fakes(1)
	fw[0].failOn = "f042"
	cfg := baseConfig(src, ws)
	cfg.ChunkSize = 1 << 20
	cfg.Compress = false
	_, err := Run(context.Background(), cfg)
	if err == nil || !containsAll(err.Error(), filepath.Join(src, "f042"), "disk full") {
		t.Fatalf("err = %v, want it to name f042 and the cause", err)
	}
	if fw[0].finished {
		t.Error("writer finished after a failure")
	}
	waitGoroutines(t, base)
}

// failingOpen simulates unreadable files (tests run as root, so chmod 000 would not fail).
func failingOpen(bad string) func(string) (File, error) {
	return func(p string) (File, error) {
		if filepath.Base(p) == bad {
			return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrPermission}
		}
		return os.Open(p)
	}
}

func TestRunUnreadableFails(t *testing.T) {
	src := writeTree(t, map[string][]byte{"ok": []byte("fine"), "secret": []byte("no")})
	ws, _ := fakes(1)
	cfg := baseConfig(src, ws)
	cfg.Open = failingOpen("secret")
	_, err := Run(context.Background(), cfg)
	if err == nil || !containsAll(err.Error(), "secret", "permission denied") {
		t.Fatalf("err = %v, want it to name the unreadable file", err)
	}
}

func TestRunSkipUnreadable(t *testing.T) {
	src := writeTree(t, map[string][]byte{"ok": []byte("fine"), "secret": []byte("no")})
	ws, fw := fakes(1)
	cfg := baseConfig(src, ws)
	cfg.Open = failingOpen("secret")
	cfg.SkipUnreadable = true
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Unreadable) != 1 || res.Unreadable[0].Path != "secret" {
		t.Fatalf("unreadable = %+v", res.Unreadable)
	}
	if strings.Contains(fw[0].root.Info, "secret") || !strings.Contains(fw[0].root.Info, `"ok"`) {
		t.Fatalf("index: %s", fw[0].root.Info)
	}
}

// TestRunSizeChanged: a file that grows between walk and read fails the run.
func TestRunSizeChanged(t *testing.T) {
	src := writeTree(t, map[string][]byte{"grows": []byte("1234")})
	ws, _ := fakes(1)
	cfg := baseConfig(src, ws)
	cfg.Open = func(p string) (File, error) {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_APPEND, 0)
		if err == nil {
			_, err = f.WriteString("more")
		}
		return f, err
	}
	_, err := Run(context.Background(), cfg)
	if err == nil || !containsAll(err.Error(), "grows", "size changed") {
		t.Fatalf("err = %v", err)
	}
}

// TestRunVanished: a file removed after the walk fails the run, naming it.
func TestRunVanished(t *testing.T) {
	src := writeTree(t, map[string][]byte{"gone": []byte("1234")})
	ws, _ := fakes(1)
	cfg := baseConfig(src, ws)
	cfg.Open = func(p string) (File, error) {
		os.Remove(p)
		return os.Open(p)
	}
	_, err := Run(context.Background(), cfg)
	if err == nil || !containsAll(err.Error(), "gone", "no such file") {
		t.Fatalf("err = %v", err)
	}
}

// checkSideIndex checks that every writer holds the same side index, that
// it lists what the JSON index lists, and returns its entries by path.
func checkSideIndex(t *testing.T, fw []*fakeWriter, ix *archive.Index, chunk int64) map[string]archive.Entry {
	t.Helper()
	side := fw[0].dsets[archive.SideIndexName]
	sizes := make([]int64, len(fw))
	for i, w := range fw {
		if !bytes.Equal(w.dsets[archive.SideIndexName], side) {
			t.Fatalf("writer %d: side index missing or different from writer 0's", i)
		}
		sizes[i] = w.offset
	}
	x, err := archive.OpenSideIndex(func(dst []byte, off int64) error {
		copy(dst, side[off:])
		return nil
	}, int64(len(side)), sizes)
	if err != nil {
		t.Fatal(err)
	}
	if x.Header.ChunkSize != chunk || x.Header.Files != int64(len(ix.Files)) || x.Header.InfoSum != xxh3.HashString(fw[0].root.Info) {
		t.Errorf("side index header %+v", x.Header)
	}
	out := map[string]archive.Entry{}
	i := 0
	err = x.Each(func(e *archive.Entry) error {
		f := ix.Files[i]
		i++
		out[e.Path] = *e
		if e.Path != f.Path || len(e.Parts) != len(f.Parts) {
			t.Errorf("side index entry %+v, JSON %+v", e, f)
			return nil
		}
		for k, p := range e.Parts {
			jp := f.Parts[k]
			if p.Archive != jp.ArchiveNumber || p.Compressed != jp.Compressed() || e.Dataset(k) != jp.Dataset {
				t.Errorf("%s part %d: side index %+v, JSON %+v", e.Path, k, p, jp)
			}
		}
		return nil
	})
	if err != nil || i != len(ix.Files) {
		t.Errorf("side index walk: %d entries, %v", i, err)
	}
	return out
}

// TestRunBatches: a writer that takes batches gets the parts waiting for it
// together (at most maxBatch) when it is the bottleneck, and the run stores
// everything as one part at a time would.
func TestRunBatches(t *testing.T) {
	files := map[string][]byte{}
	for i := range 600 {
		files[fmt.Sprintf("d%d/f%03d", i%7, i)] = pattern(100+i, byte(i))
	}
	files["split.bin"] = pattern(3500, 9) // 4 parts, may share a batch
	src := writeTree(t, files)
	ws, fw, bw := batchFakes(2, 2*time.Millisecond)
	cfg := baseConfig(src, ws)
	cfg.MaxMemory = 4 << 20 // room for full queues
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkStored(t, files, fw, res, 1000)
	largest := 0
	for _, w := range bw {
		for _, n := range w.sizes {
			largest = max(largest, n)
		}
	}
	if largest < 2 || largest > maxBatch {
		t.Errorf("largest batch %d, want 2..%d", largest, maxBatch)
	}
}

// TestRunBatchErrorNamesFile: a payload refused inside a batch fails the run
// naming its source file.
func TestRunBatchErrorNamesFile(t *testing.T) {
	files := map[string][]byte{}
	for i := range 200 {
		files[fmt.Sprintf("f%03d", i)] = pattern(300, byte(i))
	}
	src := writeTree(t, files)
	base := runtime.NumGoroutine()
	ws, fw, _ := batchFakes(1, time.Millisecond)
	fw[0].failOn = "f142"
	cfg := baseConfig(src, ws)
	cfg.Compress = false
	_, err := Run(context.Background(), cfg)
	if err == nil || !containsAll(err.Error(), filepath.Join(src, "f142"), "disk full") {
		t.Fatalf("err = %v, want it to name f142 and the cause", err)
	}
	if fw[0].finished {
		t.Error("writer finished after a failure")
	}
	waitGoroutines(t, base)
}
