package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func pair(boundMs, createMs int, err string) Pair {
	mk := func(op string, ms int, w int) Result {
		return Result{Setting: Setting{"zstd", 8, 2, w}, Op: op, Bytes: 100e6, Wall: time.Duration(ms) * time.Millisecond}
	}
	c := mk(OpCreate, createMs, 2)
	c.Err = err
	return Pair{Bound: mk(OpMemory, boundMs, 0), Create: c}
}

// TestCompare: the best share is fastest create over fastest bound, even
// when they come from different rounds; the median is over the rounds;
// failed creates are left out.
func TestCompare(t *testing.T) {
	pairs := []Pair{
		pair(500, 100, "exit status 1"), // left out, bound too
		pair(1000, 1250, ""),            // 80%
		pair(800, 1000, ""),             // 80%: the fastest bound
		pair(1100, 900, ""),             // 122%: the fastest create
		pair(1000, 1100, ""),            // 91%
	}
	c, ok := Compare(pairs)
	if !ok {
		t.Fatal("nothing to compare")
	}
	if c.Bound.Wall != 800*time.Millisecond || c.Create.Wall != 900*time.Millisecond {
		t.Errorf("fastest bound %v, create %v", c.Bound.Wall, c.Create.Wall)
	}
	if want := 800.0 / 900; c.BestShare < want-1e-9 || c.BestShare > want+1e-9 {
		t.Errorf("best share %.4f, want %.4f", c.BestShare, want)
	}
	if want := (0.8 + 1000.0/1100) / 2; c.MedianShare < want-1e-9 || c.MedianShare > want+1e-9 {
		t.Errorf("median share %.4f, want %.4f", c.MedianShare, want)
	}
	if c.FailedCreate != "exit status 1" {
		t.Errorf("failed create %q", c.FailedCreate)
	}
	var out bytes.Buffer
	if err := c.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"FAILED", "122%", "reached 89% of the in-memory bound", "fastest of 4", "median of the rounds: 85%"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
	if _, ok := Compare([]Pair{pair(1000, 1000, "killed")}); ok {
		t.Error("a comparison with no successful create")
	}
	if _, ok := Compare(nil); ok {
		t.Error("a comparison of no rounds")
	}
}
