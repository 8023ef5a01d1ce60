package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnpackRefusesDamagedChunkBeforeWriting: a chunk whose header is
// intact but whose block-start table or a stream's size field is damaged
// is refused before unpack writes anything (exit 3, naming the file and
// the member); with --keep-going every other file is restored and the
// damaged one listed.
func TestUnpackRefusesDamagedChunkBeforeWriting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	for i := range 30 {
		var b strings.Builder
		for j := range 20000 {
			fmt.Fprintf(&b, "%d:%d ", i, j%97)
		}
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d", i)), []byte(b.String()), 0o644)
	}
	const victim = "f20" // late in path order: a restore in order writes f00..f19 first
	for _, kind := range []string{"h5", "zip"} {
		base := filepath.Join(dir, "set-"+kind)
		args := []string{"create", "-q", "-w", "2", src, base}
		if kind == "zip" {
			args = append(args, "-z")
		}
		mustRun(t, args...)
		members := []string{base + "_0." + kind, base + "_1." + kind}
		for _, damage := range []string{"block-start table", "stream size"} {
			t.Run(kind+" "+damage, func(t *testing.T) {
				_, c := copySet(t, members)
				file, off, _ := locatePart(t, victim, c)
				fh, err := os.OpenFile(file, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				head := make([]byte, 36)
				if _, err := fh.ReadAt(head, off); err != nil {
					t.Fatal(err)
				}
				at, val := off+32, uint32(0xF0000000) // bstarts[0]: negative, outside the chunk
				if damage == "stream size" {
					at = off + int64(binary.LittleEndian.Uint32(head[32:])) // block 0's first csize
					val = 0x7FFFFFF0                                        // past the chunk's end
				}
				binary.LittleEndian.PutUint32(head[:4], val)
				if _, err := fh.WriteAt(head[:4], at); err != nil {
					t.Fatal(err)
				}
				dest := filepath.Join(t.TempDir(), "dest")
				r := runBin(t, "unpack", "-j", "1", "-d", dest, c[0], c[1])
				wantFail(t, "unpack", r, 3, victim, filepath.Base(file), "before writing anything")
				if _, err := os.Stat(dest); err == nil {
					if files := sourceFiles(t, dest); len(files) > 0 {
						t.Errorf("unpack wrote %d files before refusing the damaged chunk", len(files))
					}
				}
				r = runBin(t, "unpack", "-k", "-j", "1", "-d", dest, c[0], c[1])
				wantFail(t, "unpack -k", r, 3, "DAMAGED "+victim)
				got := sourceFiles(t, filepath.Join(dest, "set-"+kind))
				want := sourceFiles(t, src)
				delete(want, victim)
				sameTree(t, got, want)
			})
		}
	}
}

// locatePart returns the member file, byte offset and size of the first
// part of path's payload, found with h5py or zipfile (locateScript).
func locatePart(t *testing.T, path string, members []string) (string, int64, int64) {
	t.Helper()
	b, err := exec.Command("/usr/bin/python3", append([]string{"-c", locateScript, path}, members...)...).Output()
	if err != nil {
		t.Fatalf("locating the payload: %v", err)
	}
	var file string
	var off, size int64
	if _, err := fmt.Sscan(string(b), &file, &off, &size); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return file, off, size
}
