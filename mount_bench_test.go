package main

// Benchmarks of reading through `hdf5vault mount`, beside `hdf5vault cat`
// and unpack-then-read, on synthetic 16-bit TIFF fields:
//
//	go test -run '^$' -bench BenchmarkMount -benchtime 5x .

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// benchSet is a generated acquisition and its archive set, made once.
type benchSet struct {
	src, base string
	files     []string // relative paths
	bytes     int64
}

var (
	benchSets  = map[string]*benchSet{}
	benchSetMu sync.Mutex
)

// makeBenchSet generates fields TIFF fields of fieldSize pixel bytes
// and archives them at create's defaults.
func makeBenchSet(b *testing.B, fields, fieldSize int) *benchSet {
	b.Helper()
	benchSetMu.Lock()
	defer benchSetMu.Unlock()
	name := itoa(fields) + "x" + itoa(fieldSize)
	if s := benchSets[name]; s != nil {
		return s
	}
	dir, err := os.MkdirTemp("", "hdf5vault-mountbench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		benchSetMu.Lock()
		delete(benchSets, name)
		benchSetMu.Unlock()
		os.RemoveAll(dir)
	})
	s := &benchSet{src: filepath.Join(dir, "acq"), base: filepath.Join(dir, "archive", "acq")}
	os.Mkdir(filepath.Dir(s.base), 0o755)
	for _, args := range [][]string{
		{"bench", "--generate", s.src, "--fields", itoa(fields), "--field-size", itoa(fieldSize)},
		{"create", s.src, s.base, "-q"},
	} {
		if out, err := exec.Command(readBin, args...).CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	filepath.Walk(s.src, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(s.src, p)
			s.files = append(s.files, rel)
			s.bytes += fi.Size()
		}
		return err
	})
	benchSets[name] = s
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// BenchmarkMountFields reads every file of 64 fields of 2 MiB: through a
// fresh mount, with one `hdf5vault cat` per file, and after an unpack.
func BenchmarkMountFields(b *testing.B) {
	s := makeBenchSet(b, 64, 2<<20)
	b.Run("mount", func(b *testing.B) {
		b.SetBytes(s.bytes)
		for b.Loop() {
			b.StopTimer()
			m := mountSet(b, s.base)
			b.StartTimer()
			for _, f := range s.files {
				if _, err := os.ReadFile(filepath.Join(m.dir, f)); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			m.stop(b, os.Interrupt)
			b.StartTimer()
		}
	})
	b.Run("cat", func(b *testing.B) {
		b.SetBytes(s.bytes)
		for b.Loop() {
			for _, f := range s.files {
				cmd := exec.Command(readBin, "cat", "-p", filepath.ToSlash(f), s.base)
				cmd.Stdout = io.Discard
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("unpack-then-read", func(b *testing.B) {
		b.SetBytes(s.bytes)
		for b.Loop() {
			dest := b.TempDir()
			if out, err := exec.Command(readBin, "unpack", "-d", dest, s.base).CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
			for _, f := range s.files {
				if _, err := os.ReadFile(filepath.Join(dest, "acq", f)); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// BenchmarkMountRandom4K reads 4 KiB at random offsets of one 128 MiB
// field through a mount with the smallest block cache (1 MiB), so most
// reads decode a block. ns/op is the time of one read.
func BenchmarkMountRandom4K(b *testing.B) {
	s := makeBenchSet(b, 1, 128<<20)
	var big string
	var size int64
	for _, f := range s.files {
		if fi, err := os.Stat(filepath.Join(s.src, f)); err == nil && fi.Size() > size {
			big, size = f, fi.Size()
		}
	}
	m := mountSet(b, "--cache-size", "1MiB", s.base)
	defer m.stop(b, os.Interrupt)
	fh, err := os.Open(filepath.Join(m.dir, big))
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	buf := make([]byte, 4096)
	for b.Loop() {
		if _, err := fh.ReadAt(buf, rng.Int64N(size-4096)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMountSmallFiles mounts a set of 100,000 files of 1 KiB in 400
// directories of 250 (bench --small): "up" is the time from starting the
// mount to its files being listable, "listdir" a listing (readdir and a
// stat of each of the 250 names) of a directory not listed before,
// "listdir-long" the same with the extended attribute queries of `ls -l`.
// ns/op of listdir is per directory.
func BenchmarkMountSmallFiles(b *testing.B) {
	dir := b.TempDir()
	src, base := filepath.Join(dir, "acq"), filepath.Join(dir, "archive", "acq")
	os.Mkdir(filepath.Dir(base), 0o755)
	for _, args := range [][]string{
		{"bench", "--generate", src, "--small", "--files", "100000", "--size", "1024"},
		{"create", src, base, "-q"},
	} {
		if out, err := exec.Command(readBin, args...).CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	b.Run("up", func(b *testing.B) {
		for b.Loop() {
			m := mountSet(b, base)
			if _, err := os.ReadDir(filepath.Join(m.dir, "small")); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			m.stop(b, os.Interrupt)
			b.StartTimer()
		}
	})
	for _, long := range []bool{false, true} {
		name := "listdir"
		if long {
			name = "listdir-long"
		}
		b.Run(name, func(b *testing.B) {
			m := mountSet(b, base)
			defer m.stop(b, os.Interrupt)
			d := 0
			for b.Loop() {
				listLikeLs(b, filepath.Join(m.dir, "small", fmt.Sprintf("d%04d", d%400)), long)
				d++
			}
		})
	}
}

// listLikeLs reads directory p of 250 files as `ls -l` does: readdir and
// a stat of each name, and with long also the two extended attributes ls
// asks for (ACL and SELinux label), which the archive does not have.
func listLikeLs(b *testing.B, p string, long bool) {
	ents, err := os.ReadDir(p)
	if err != nil || len(ents) != 250 {
		b.Fatalf("%s: %d entries, %v", p, len(ents), err)
	}
	buf := make([]byte, 256)
	for _, e := range ents {
		f := filepath.Join(p, e.Name())
		if _, err := os.Lstat(f); err != nil {
			b.Fatal(err)
		}
		if !long {
			continue
		}
		for _, attr := range []string{"security.selinux", "system.posix_acl_access"} {
			if _, err := syscall.Getxattr(f, attr, buf); err == nil {
				b.Fatalf("%s has %s", f, attr)
			}
		}
	}
}
