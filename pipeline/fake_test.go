package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
)

// fakeWriter is an in-memory archive.Writer.
type fakeWriter struct {
	mu       sync.Mutex
	dsets    map[string][]byte
	attrs    map[string]archive.DatasetAttrs
	offset   int64
	root     *archive.RootAttrs
	aborted  bool
	delay    time.Duration // per Put, to make writers the bottleneck
	failOn   string        // a dataset name whose Put fails
	finished bool
}

func newFake() *fakeWriter {
	return &fakeWriter{dsets: map[string][]byte{}, attrs: map[string]archive.DatasetAttrs{}}
}

func (w *fakeWriter) Put(name string, payload []byte, a archive.DatasetAttrs) (int64, error) {
	if w.delay > 0 {
		time.Sleep(w.delay)
	}
	return w.putNow(name, payload, a)
}

func (w *fakeWriter) putNow(name string, payload []byte, a archive.DatasetAttrs) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if name == w.failOn {
		return 0, errors.New("disk full (fake)")
	}
	if _, dup := w.dsets[name]; dup {
		return 0, fmt.Errorf("dataset %q exists", name)
	}
	w.dsets[name] = bytes.Clone(payload) // the pipeline reuses its buffers
	w.attrs[name] = a
	if len(payload) == 0 {
		return -1, nil
	}
	off := w.offset
	w.offset += int64(len(payload))
	return off, nil
}

func (w *fakeWriter) Finish(root archive.RootAttrs) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.root = &root
	w.finished = true
	return nil
}

func (w *fakeWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = true
	return nil
}

func (w *fakeWriter) stored() int64 {
	var n int64
	for name, b := range w.dsets {
		if name != archive.SideIndexName {
			n += int64(len(b))
		}
	}
	return n
}

func fakes(n int) ([]archive.Writer, []*fakeWriter) {
	ws := make([]archive.Writer, n)
	fs := make([]*fakeWriter, n)
	for i := range ws {
		fs[i] = newFake()
		ws[i] = fs[i]
	}
	return ws, fs
}

// writeTree creates files (relative slash path -> content) under a temp dir.
func writeTree(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for rel, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pattern is deterministic, somewhat compressible content.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x>>24) & 0x0f
	}
	return b
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// batchWriter is a fakeWriter that also takes batches, noting their sizes.
type batchWriter struct {
	*fakeWriter
	sizes []int // written only by the writer's goroutine, read after Run
}

func (w *batchWriter) PutBatch(batch []archive.Put) (int, error) {
	w.sizes = append(w.sizes, len(batch))
	time.Sleep(w.delay) // once per batch: a slow writer lets its queue fill
	for i := range batch {
		p := &batch[i]
		off, err := w.fakeWriter.putNow(p.Dataset, p.Payload, p.Attrs)
		if err != nil {
			return i, err
		}
		p.Offset = off
	}
	return 0, nil
}

func batchFakes(n int, delay time.Duration) ([]archive.Writer, []*fakeWriter, []*batchWriter) {
	ws := make([]archive.Writer, n)
	fs := make([]*fakeWriter, n)
	bs := make([]*batchWriter, n)
	for i := range ws {
		fs[i] = newFake()
		fs[i].delay = delay
		bs[i] = &batchWriter{fakeWriter: fs[i]}
		ws[i] = bs[i]
	}
	return ws, fs, bs
}
