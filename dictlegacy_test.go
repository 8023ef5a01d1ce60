package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/hdf5vault/hdf5vault/blosc"
)

// legacyDictChunk builds a chunk as create -d wrote it before it kept its
// dictionaries within C-Blosc2's BLOSC2_MAXDICTSIZE: a whole 32 KiB of
// history plus zstd's tables (about 32,900 bytes), one block, one stream
// compressed with that dictionary. The header comes from today's encoder.
func legacyDictChunk(t *testing.T, src []byte) []byte {
	t.Helper()
	e, err := blosc.NewEncoder(blosc.Options{Codec: blosc.Zstd, Level: 5, TypeSize: 1, Shuffle: blosc.NoShuffle,
		SplitMode: blosc.NeverSplit, BlockSize: len(src), UseDict: true})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := e.EncodeAll(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if h, err := blosc.ParseHeader(cur); err != nil || !h.UseDict || h.NBlocks() != 1 {
		t.Fatalf("today's chunk: %+v, %v (want one block and a dictionary)", h, err)
	}
	// The old encoder's dictionary: 32 segments of 1 KiB as history (the
	// budget was the history's size, the tables came on top).
	const history = 32 * 1024
	hist := make([]byte, 0, history)
	stride := len(src) / 32
	for i := range 32 {
		hist = append(hist, src[i*stride:i*stride+1024]...)
	}
	var samples [][]byte
	for i := 0; i+64<<10 <= len(src); i += 64 << 10 {
		samples = append(samples, src[i:i+64<<10])
	}
	dict, err := zstd.BuildDict(zstd.BuildDictOptions{ID: 40000, Contents: samples, History: hist,
		Offsets: [3]int{1, 4, 8}, CompatV155: true, Level: zstd.SpeedDefault})
	if err != nil {
		t.Fatal(err)
	}
	if len(dict) <= blosc.MaxDictSize {
		t.Fatalf("dictionary of %d bytes: not over C's limit", len(dict))
	}
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderDict(dict), zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	frame := zw.EncodeAll(src, nil)
	zw.Close()
	out := bytes.Clone(cur[:32])
	out = le.AppendUint32(out, uint32(32+4+4+len(dict))) // bstarts[0]
	out = le.AppendUint32(out, uint32(len(dict)))
	out = append(out, dict...)
	out = le.AppendUint32(out, uint32(len(frame)))
	out = append(out, frame...)
	le.PutUint32(out[12:], uint32(len(out))) // cbytes
	if _, err := blosc.NewDecoder().DecodeAll(out, nil); err == nil || !strings.Contains(err.Error(), "32768") {
		t.Fatalf("C-Blosc2's rules accept the legacy chunk (err %v)", err)
	}
	if got, err := (&blosc.Decoder{LegacyDicts: true}).DecodeAll(out, nil); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("the legacy chunk does not decode: %v", err)
	}
	return out
}

// TestLegacyDictionaries: a set holding a part with an over-sized -d
// dictionary (as earlier versions wrote) still unpacks, cats and checks;
// verify reads it, names it as one C-Blosc2 cannot read and exits 3.
func TestLegacyDictionaries(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; b.Len() < 700_000; i++ {
		fmt.Fprintf(&b, "row %d col %d value %d; ", i/37, i%37, (i*7919)%1013)
	}
	src := []byte(b.String())
	chunk := legacyDictChunk(t, src)
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "legacy.bin"), src, 0o644)
	os.WriteFile(filepath.Join(tree, "small.txt"), []byte("small"), 0o644)
	arch := filepath.Join(dir, "old.h5")
	index := map[string]any{
		"legacy.bin": part("legacy.bin", true, nil),
		"small.txt":  part("small.txt", false, nil),
	}
	makeArchive(t, arch, index, map[string][]byte{"legacy.bin": chunk, "small.txt": []byte("small")})

	dest := filepath.Join(dir, "dest")
	if out, code := run(t, "unpack", "-q", "-d", dest, arch); code != 0 {
		t.Fatalf("unpack: exit %d\n%s", code, out)
	}
	sameTree(t, sourceFiles(t, filepath.Join(dest, "old")), sourceFiles(t, tree))
	if r := runBin(t, "cat", "--path", "legacy.bin", arch); r.code != 0 || r.stdout != string(src) {
		t.Errorf("cat: exit %d, %d bytes\n%s", r.code, len(r.stdout), r.stderr)
	}
	if out, code := run(t, "check", "-q", "-d", tree, arch); code != 0 {
		t.Errorf("check: exit %d\n%s", code, out)
	}
	r := runBin(t, "verify", "-q", arch)
	wantFail(t, "verify", r, 3, "NOT-C-READABLE legacy.bin", "C-Blosc2", "32768")
	if strings.Contains(r.stdout, "DAMAGED") || strings.Contains(r.stdout, "small.txt") {
		t.Errorf("verify calls more than the legacy part out:\n%s", r.stdout)
	}
}
