package zipsink

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// BenchmarkPutSmall stores 8 KiB members, Finish (and fsync) included:
//
//	go test ./zipsink -run XXX -bench PutSmall -benchtime=20000x
func BenchmarkPutSmall(b *testing.B) {
	payload := randBytes(7, 8<<10)
	path := filepath.Join(b.TempDir(), "small.zip")
	b.SetBytes(int64(len(payload)))
	w, err := Create(path)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := w.Put(fmt.Sprintf("plate/d%03d/f%07d.tif", i/1000, i), payload, archive.DatasetAttrs{}); err != nil {
			w.Abort()
			b.Fatal(err)
		}
	}
	if err := w.Finish(sampleRoot(1, 0)); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkReadPayload reads 1 MiB members from one Reader in parallel.
func BenchmarkReadPayload(b *testing.B) {
	path := filepath.Join(b.TempDir(), "read.zip")
	payload := randBytes(9, 1<<20)
	var ss []sample
	for i := 0; i < 64; i++ {
		ss = append(ss, sample{Name: fmt.Sprintf("d/p%03d", i), Payload: payload})
	}
	writeSamples(b, path, ss, sampleRoot(1, 0))
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf []byte
		for i := 0; pb.Next(); i++ {
			var err error
			if buf, err = r.ReadPayload(ss[i%len(ss)].Name, buf[:0]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
