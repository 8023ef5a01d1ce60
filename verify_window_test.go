package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyTree writes n files of 1 KiB, each with its own bytes, 200 a directory.
func tinyTree(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	for i := range n {
		d := filepath.Join(dir, fmt.Sprintf("d%d", i/200))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("small file %05d\n", i)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d.dat", i)), []byte(strings.Repeat(line, 1024/len(line)+1)[:1024]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestVerifyWindowDamage: verify reads the small payloads of neighbouring
// files in one window; the guarantees hold inside it. A flipped byte in a
// payload whose neighbours share its read is that file's damage alone, and
// a part whose recorded offset and size run past the end of the member is
// damage (exit 3), never read.
func TestVerifyWindowDamage(t *testing.T) {
	t.Parallel()
	src := tinyTree(t, 800)
	base := filepath.Join(t.TempDir(), "w")
	// One writer: neighbours in the index are neighbours in the file, in
	// either order (two readers may swap them).
	mustRun(t, "create", "-q", "-w", "1", src, base)

	t.Run("flipped byte", func(t *testing.T) {
		_, c := copySet(t, []string{base + ".h5"})
		_, es := sideEntries(t, c[0])
		victim, p, next := es[400].Path, es[400].Parts[0], es[401].Parts[0]
		if d := next.Offset - p.Offset; d < -4096 || d > 4096 {
			t.Fatalf("the neighbour's payload is %d bytes away: not a shared window", d)
		}
		flipAt(t, c[0], p.Offset+p.Stored/2)
		r := runBin(t, "verify", c[0])
		wantFail(t, "verify", r, 3, victim)
		if got := strings.Count(r.stdout, "DAMAGED "); got != 1 || !strings.Contains(r.stdout, "DAMAGED "+victim) {
			t.Errorf("want %s alone reported damaged, got:\n%s", victim, r.stdout)
		}
	})
	t.Run("part past the end", func(t *testing.T) {
		_, c := copySet(t, []string{base + ".h5"})
		x, es := sideEntries(t, c[0])
		st, err := os.Stat(c[0])
		if err != nil {
			t.Fatal(err)
		}
		p := &es[400].Parts[0]
		moved := st.Size() - p.Stored + 1 // its last byte one past the end
		if uvarintLen(p.Offset+1) != uvarintLen(moved+1) {
			t.Fatalf("offsets %d and %d encode to different lengths", p.Offset, moved)
		}
		p.Offset = moved
		forgeSide(t, c[0], x, es)
		wantFail(t, "verify", runBin(t, "verify", c[0]), 3, "past the end of member 0")
	})
}

func uvarintLen(v int64) int { return len(binary.AppendUvarint(nil, uint64(v))) }
