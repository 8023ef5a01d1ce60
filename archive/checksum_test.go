package archive

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The stored digest must be what xxh128sum (Debian's xxhash package, an
// independent C implementation) prints, so users can check restored files.
func TestChecksumMatchesXXH128Sum(t *testing.T) {
	tool, err := exec.LookPath("xxh128sum")
	if err != nil {
		t.Skip("xxh128sum not installed (Debian package xxhash)")
	}
	dir := t.TempDir()
	for _, n := range []int{0, 1, 16, 17, 128, 129, 240, 241, 1024, 100_000, 3 << 20} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + i>>9)
		}
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tool, p).Output()
		if err != nil {
			t.Fatal(err)
		}
		c := NewChecksum()
		// Stream in uneven pieces: the reader hashes part by part.
		for rest := data; len(rest) > 0; {
			k := min(len(rest), 1000003)
			c.Write(rest[:k])
			rest = rest[k:]
		}
		want := strings.Fields(string(out))[0]
		if got := c.String(); got != ChecksumAlgo+":"+want {
			t.Errorf("%d bytes: %s, xxh128sum says %s", n, got, want)
		}
		back, err := ParseChecksum(c.String())
		if err != nil || !bytes.Equal(back, c.Sum()) {
			t.Errorf("ParseChecksum(%q) = %x, %v", c.String(), back, err)
		}
	}
}

func TestParseChecksumRefuses(t *testing.T) {
	for _, s := range []string{"", "sha256:00", "xxh3-128:zz", "xxh3-128:0011", ChecksumAlgo + ":" + strings.Repeat("0", 34)} {
		if _, err := ParseChecksum(s); err == nil {
			t.Errorf("ParseChecksum(%q) accepted", s)
		}
	}
}
