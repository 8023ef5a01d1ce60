package bench

import (
	"slices"
	"testing"
)

func TestMatrixCoversEachDimension(t *testing.T) {
	for _, cpus := range []int{1, 2, 6} {
		m := Matrix(cpus, false)
		seen := map[Setting]bool{}
		for _, s := range m {
			if seen[s] {
				t.Errorf("cpus %d: %v twice", cpus, s)
			}
			seen[s] = true
			if s.Jobs < 1 || s.Jobs > cpus || s.Writers < 1 || s.Writers > 4 {
				t.Errorf("cpus %d: %v out of range", cpus, s)
			}
		}
		for _, codec := range []string{"zstd", "lz4"} {
			for _, level := range []int{1, 5, 8} {
				if !seen[Setting{codec, level, cpus, 1}] {
					t.Errorf("cpus %d: no %s c%d", cpus, codec, level)
				}
			}
		}
		for _, j := range []int{1, cpus} {
			if !seen[Setting{"zstd", 8, j, 1}] {
				t.Errorf("cpus %d: no zstd c8 with %d jobs", cpus, j)
			}
		}
		for w := 1; w <= 4; w++ {
			if !seen[Setting{"zstd", 8, cpus, w}] {
				t.Errorf("cpus %d: no zstd c8 with %d writers", cpus, w)
			}
		}
	}
	// 6 cores: jobs 1, 2, 4 and 6.
	if m := Matrix(6, false); len(m) != 6+3+3 {
		t.Errorf("Matrix(6) has %d settings: %v", len(m), m)
	}
}

func TestQuickMatrixIsASubset(t *testing.T) {
	full, quick := Matrix(4, false), Matrix(4, true)
	if len(quick) == 0 || len(quick) >= len(full) || quick[0] != (Setting{"zstd", 8, 4, 1}) {
		t.Fatalf("quick %v", quick)
	}
	for _, s := range quick {
		if !slices.Contains(full, s) {
			t.Errorf("quick setting %v not in the full matrix", s)
		}
	}
}

func TestCreateArgsFollowTheDocumentedCommandLine(t *testing.T) {
	// hdf5vault create SRC BASE -c N --codec C -j J -w W -q --json FILE --force
	got := Setting{"lz4", 5, 3, 2}.CreateArgs("src dir", "out/base", "s.json")
	want := []string{"create", "src dir", "out/base", "-c", "5", "--codec", "lz4", "-j", "3", "-w", "2",
		"-q", "--json", "s.json", "--force"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if s := (Setting{"zstd", 8, 2, 4}).String(); s != "zstd c8 j2 w4" {
		t.Errorf("String %q", s)
	}
	if s := (Setting{"zstd", 8, 2, 0}).String(); s != "zstd c8 j2" {
		t.Errorf("String without writers %q", s)
	}
}
