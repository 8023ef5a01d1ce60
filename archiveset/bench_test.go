package archiveset

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/bench"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/h5sink"
)

// Benchmarks of the read side on a synthetic acquisition of 2 MiB 16-bit
// TIFF fields, compressed with the original's settings:
//
//	go test -run '^$' -bench Unpack -benchtime 5x ./archiveset/
//
// HDF5VAULT_BENCH_FIELDS sets the number of fields (default 32; the
// reference acquisition is 256). HDF5VAULT_BENCH_SET names an existing set
// instead (its members or base, comma-separated), e.g. one made by create:
//
//	hdf5vault bench --generate /tmp/acq --fields 256
//	hdf5vault create -q /tmp/acq /tmp/acq_set
//	HDF5VAULT_BENCH_SET=/tmp/acq_set go test -run '^$' -bench 'Unpack|Verify|Open' ./archiveset/
//
// HDF5VAULT_BENCH_JOBS sets the workers (default GOMAXPROCS).

func benchSet(b *testing.B) *Set {
	b.Helper()
	args := os.Getenv("HDF5VAULT_BENCH_SET")
	if args == "" {
		args = writeBenchArchive(b)
	}
	s, err := OpenArgs(context.Background(), strings.Split(args, ","))
	if err != nil {
		b.Fatal(err)
	}
	if err := s.LayoutError(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// writeBenchArchive generates the acquisition and writes it as one HDF5
// archive with checksums recorded, returning the archive's path.
func writeBenchArchive(b *testing.B) string {
	return writeSpecArchive(b, bench.FieldSpec(envInt(b, "HDF5VAULT_BENCH_FIELDS", 32), 2<<20, 1))
}

// writeSpecArchive writes the acquisition spec as one HDF5 archive, its
// files in path order, returning the archive's path.
func writeSpecArchive(b *testing.B, spec bench.Spec) string {
	b.Helper()
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	if _, err := bench.Generate(src, spec); err != nil {
		b.Fatal(err)
	}
	enc, err := blosc.NewEncoder(blosc.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "bench.h5")
	w, err := h5sink.Create(path, h5sink.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ix := &archive.Index{}
	var payload []byte
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		if payload, err = enc.EncodeAll(data, payload[:0]); err != nil {
			return err
		}
		ds := archive.DatasetName(rel, 0, 1, true)
		if _, err := w.Put(ds, payload, archive.DatasetAttrs{Compression: archive.MethodBlosc2}); err != nil {
			return err
		}
		ix.Files = append(ix.Files, archive.File{Path: rel, Parts: []archive.Part{{
			Dataset: ds, Compression: archive.Blosc2Method(),
			Size: archive.Ptr(int64(len(data))), Stored: archive.Ptr(int64(len(payload))),
			Checksum: archive.ChecksumOf(data),
		}}})
		return nil
	})
	if err != nil {
		w.Abort()
		b.Fatal(err)
	}
	info, err := ix.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	// Written without a side index: a set of the format revision before it,
	// read through its JSON index (HDF5VAULT_BENCH_SET names a set made by
	// create, read through its side index).
	root := archive.RootAttrs{Description: archive.Description, Version: "0.3.0+hdf5vault.1",
		ChunkSize: archive.DefaultChunkSize, NumFiles: 1, Info: string(info)}
	if err := w.Finish(root); err != nil {
		b.Fatal(err)
	}
	return path
}

func totalSize(s *Set) int64 {
	var n int64
	for i := range s.Files {
		n += s.Files[i].Size
	}
	return n
}

// BenchmarkUnpack measures unpack throughput (decoded bytes written per second).
func BenchmarkUnpack(b *testing.B) {
	s := benchSet(b)
	jobs := envInt(b, "HDF5VAULT_BENCH_JOBS", Workers())
	b.SetBytes(totalSize(s))
	dest := b.TempDir()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d := filepath.Join(dest, strconv.Itoa(i))
		if _, err := s.Unpack(context.Background(), d, jobs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(d)
		b.StartTimer()
	}
}

// BenchmarkVerify measures read and decode throughput without writing.
func BenchmarkVerify(b *testing.B) {
	s := benchSet(b)
	jobs := envInt(b, "HDF5VAULT_BENCH_JOBS", Workers())
	b.SetBytes(totalSize(s))
	for b.Loop() {
		res, err := s.Verify(context.Background(), jobs)
		if err != nil || len(res.Damaged) > 0 {
			b.Fatal(err, res.Damaged)
		}
	}
}

// BenchmarkVerifySmallFiles measures verify on many 1 KiB files
// (HDF5VAULT_BENCH_FILES, default 20,000), per file: the case where one
// read per payload, not decoding, set the pace.
func BenchmarkVerifySmallFiles(b *testing.B) {
	path := writeSpecArchive(b, bench.Spec{SmallFiles: envInt(b, "HDF5VAULT_BENCH_FILES", 20_000), SmallSize: 1024, Seed: 1})
	s, err := OpenArgs(context.Background(), []string{path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	jobs := envInt(b, "HDF5VAULT_BENCH_JOBS", Workers())
	var res VerifyResult
	for b.Loop() {
		if res, err = s.Verify(context.Background(), jobs); err != nil || len(res.Damaged) > 0 {
			b.Fatal(err, res.Damaged)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(res.Files), "ns/file")
}

// BenchmarkOpen measures opening a set and checking its layout (per file).
func BenchmarkOpen(b *testing.B) {
	args := os.Getenv("HDF5VAULT_BENCH_SET")
	if args == "" {
		args = writeBenchArchive(b)
	}
	files := 0
	for b.Loop() {
		s, err := OpenArgs(context.Background(), strings.Split(args, ","))
		if err != nil {
			b.Fatal(err)
		}
		files = len(s.Files)
		s.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(files), "ns/file")
}
