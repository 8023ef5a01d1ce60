package pipeline

import (
	"strings"
	"testing"
)

func TestProgressLine(t *testing.T) {
	c := counts{}
	c.set(100, 1<<20, true)
	c.done = 1 << 19
	l := c.line(c.start.Add(2_000_000_000))
	for _, want := range []string{"512.0 KiB of 1.0 MiB", "100 files", "50.0%", "256.0 KiB/s", "ETA 2s"} {
		if !strings.Contains(l, want) {
			t.Errorf("line %q lacks %q", l, want)
		}
	}
	if c.set(5, 10, false) || c.total != 1<<20 {
		t.Error("a running count replaced the final total")
	}
}
