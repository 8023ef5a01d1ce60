package mount

import (
	"strings"
	"testing"
)

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a/", "a0"}, {"a", "b"}, {"a\xff", "b"}, {"\xff\xff", ""}, {"", ""},
	} {
		if got := prefixEnd(c.in); got != c.want {
			t.Errorf("prefixEnd(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSpanPrefix: the range span finds is exactly the paths with the
// prefix, with neighbours that sort around '/'.
func TestSpanPrefix(t *testing.T) {
	paths := []string{"a ", "a-b", "a.txt", "a/b", "a/b.c", "a/b/x", "a0", "b", "b\xff/c", "b\xff\xff"}
	l := make(sliceListing, len(paths))
	for i, p := range paths {
		l[i].path = p
	}
	tr := &tree{r: &reader{src: &source{files: l}}}
	for _, prefix := range []string{"a/", "a/b/", "a", "b\xff", "b\xff/", "c", ""} {
		a, b, err := tr.span(0, len(l), prefix)
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		for i, p := range paths {
			if strings.HasPrefix(p, prefix) {
				want = append(want, i)
			}
		}
		if len(want) == 0 {
			if a != b {
				t.Errorf("span(%q) = [%d,%d), want empty", prefix, a, b)
			}
			continue
		}
		if a != want[0] || b != want[len(want)-1]+1 {
			t.Errorf("span(%q) = [%d,%d), want [%d,%d)", prefix, a, b, want[0], want[len(want)-1]+1)
		}
	}
}
