package selection

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestReadList(t *testing.T) {
	got, err := ReadList(strings.NewReader("a b\n\n./c\nd\\e,f\nlast"), false)
	if want := []string{"a b", "./c", `d\e,f`, "last"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("lines: %q %v, want %q", got, err, want)
	}
	got, err = ReadList(strings.NewReader("x\ny\x00\x00z\x00"), true)
	if want := []string{"x\ny", "z"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("NUL: %q %v, want %q", got, err, want)
	}
	long := strings.Repeat("a", 5000) + "\x00b"
	if _, err := ReadList(strings.NewReader(long), false); err == nil || !strings.Contains(err.Error(), "entry 1") || !strings.Contains(err.Error(), "--null") {
		t.Errorf("a NUL list read as lines: %v, want the hint", err)
	}
}

// FuzzReadList: entries are never empty and never hold the separator, and
// together they are the input less its separators.
func FuzzReadList(f *testing.F) {
	f.Add([]byte("a\nb\n\nc"), false)
	f.Add([]byte("a\x00b\nc\x00"), true)
	f.Fuzz(func(t *testing.T, in []byte, null bool) {
		sep := []byte{'\n'}
		if null {
			sep = []byte{0}
		}
		es, err := ReadList(bytes.NewReader(in), null)
		if err != nil {
			return
		}
		var joined []byte
		for _, e := range es {
			if e == "" || strings.Contains(e, string(sep)) {
				t.Fatalf("entry %q", e)
			}
			joined = append(joined, e...)
		}
		if want := bytes.ReplaceAll(in, sep, nil); !bytes.Equal(joined, want) {
			t.Fatalf("entries %q from %q", es, in)
		}
	})
}
