package bench

import (
	"maps"
	"slices"
	"strconv"
	"strings"
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

// TestCreateArgsCarryTheSetting: whatever the order of the flags, the
// command line names create, keeps SRC and BASE whole (spaces included) as
// its two operands, and gives each of the setting's values to its flag,
// with the flags every bench run needs.
func TestCreateArgsCarryTheSetting(t *testing.T) {
	for _, s := range []Setting{{"lz4", 5, 3, 2}, {"zstd", 1, 1, 4}} {
		args := s.CreateArgs("src dir", "out/base", "s.json")
		if len(args) < 3 || args[0] != "create" || args[1] != "src dir" || args[2] != "out/base" {
			t.Fatalf("%v: %q does not start with create SRC BASE", s, args)
		}
		flags := map[string]string{}
		for i := 3; i < len(args); i++ {
			switch args[i] {
			case "-q", "--force":
				flags[args[i]] = ""
			default:
				if i+1 == len(args) {
					t.Fatalf("%v: flag %q has no value in %q", s, args[i], args)
				}
				flags[args[i]] = args[i+1]
				i++
			}
		}
		want := map[string]string{"-c": strconv.Itoa(s.Level), "--codec": s.Codec, "-j": strconv.Itoa(s.Jobs),
			"-w": strconv.Itoa(s.Writers), "--json": "s.json", "-q": "", "--force": ""}
		if !maps.Equal(flags, want) {
			t.Errorf("%v: flags %v, want %v", s, flags, want)
		}
	}
	// The table labels a row by its setting; writers are left out when 0.
	if a, b := (Setting{"zstd", 8, 2, 4}).String(), (Setting{"zstd", 8, 2, 0}).String(); a == b || !strings.Contains(a, "w4") || strings.Contains(b, "w") {
		t.Errorf("labels %q and %q", a, b)
	}
}
