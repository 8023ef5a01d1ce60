package h5sink

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// TestConcurrentWritersAndReaders runs 4 Writers (one file each) and 4
// goroutines sharing one Reader at the same time; run it under -race.
func TestConcurrentWritersAndReaders(t *testing.T) {
	dir := t.TempDir()
	ss := samples()
	src := filepath.Join(dir, "src.h5")
	writeSamples(t, src, Options{}, ss, sampleRoot(1, 0))
	r, err := Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- writeMany(filepath.Join(dir, fmt.Sprintf("out_%d.h5", i)), i, Options{H5Dwrite: i%2 == 1})
		}()
		go func() {
			defer wg.Done()
			errs <- readMany(r, ss, 20)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < n; i++ {
		path := filepath.Join(dir, fmt.Sprintf("out_%d.h5", i))
		or, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := readMany(or, writtenBy(i), 1); err != nil {
			t.Error(err)
		}
		if or.Root().FileNumber != i || or.Root().NumFiles != n {
			t.Errorf("%s: root %+v", path, or.Root())
		}
		or.Close()
	}
}

// writtenBy is what writeMany stores for writer k.
func writtenBy(k int) []sample {
	var out []sample
	for j := 0; j < 200; j++ {
		name := fmt.Sprintf("w%d/d%02d/f%03d.bin", k, j%7, j)
		out = append(out, sample{Name: name, Payload: randBytes(int64(k*1000+j), 100+j*97), Attrs: archive.DatasetAttrs{Compression: "None"}})
	}
	return out
}

func writeMany(path string, k int, o Options) error {
	w, err := Create(path, o)
	if err != nil {
		return err
	}
	for _, s := range writtenBy(k) {
		if _, err := w.Put(s.Name, s.Payload, s.Attrs); err != nil {
			w.Abort()
			return err
		}
	}
	root := sampleRoot(4, k)
	if err := w.Finish(root); err != nil {
		w.Abort()
		return err
	}
	return nil
}

func readMany(r *Reader, ss []sample, rounds int) error {
	var buf []byte
	for i := 0; i < rounds; i++ {
		for _, s := range ss {
			var err error
			buf, err = r.ReadPayload(s.Name, buf[:0])
			if err != nil {
				return err
			}
			if !bytes.Equal(buf, s.Payload) {
				return fmt.Errorf("%s: payload differs", s.Name)
			}
		}
	}
	return nil
}
