package bench

import (
	"fmt"
	"strconv"
)

// Setting is one way of running create: codec, clevel, compression jobs and
// writers (archive files).
type Setting struct {
	Codec   string
	Level   int
	Jobs    int
	Writers int
}

// String is "zstd c8 j4 w2"; without writers (the in-memory bound) "zstd c8 j4".
func (s Setting) String() string {
	str := fmt.Sprintf("%s c%d j%d", s.Codec, s.Level, s.Jobs)
	if s.Writers > 0 {
		str += fmt.Sprintf(" w%d", s.Writers)
	}
	return str
}

// CreateArgs is the create command line for this setting.
func (s Setting) CreateArgs(src, base, jsonFile string) []string {
	return []string{"create", src, base, "-c", strconv.Itoa(s.Level), "--codec", s.Codec,
		"-j", strconv.Itoa(s.Jobs), "-w", strconv.Itoa(s.Writers), "-q", "--json", jsonFile, "--force"}
}

// jobCounts is 1, 2, 4, ... up to cpus, and cpus itself.
func jobCounts(cpus int) []int {
	var js []int
	for j := 1; j < cpus; j *= 2 {
		js = append(js, j)
	}
	return append(js, max(1, cpus))
}

// Matrix is the settings bench runs on a machine with cpus cores, varying
// one thing at a time from the original's defaults (zstd, clevel 8, every
// core, one writer): the level for zstd and lz4, then the jobs, then the
// writers 1..4. quick keeps the default, one lz4 level and two writers.
func Matrix(cpus int, quick bool) []Setting {
	cpus = max(1, cpus)
	base := Setting{Codec: "zstd", Level: 8, Jobs: cpus, Writers: 1}
	var out []Setting
	seen := map[Setting]bool{}
	add := func(s Setting) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if quick {
		add(base)
		add(Setting{"lz4", 5, cpus, 1})
		add(Setting{"zstd", 8, cpus, 2})
		return out
	}
	for _, codec := range []string{"zstd", "lz4"} {
		for _, level := range []int{1, 5, 8} {
			add(Setting{codec, level, cpus, 1})
		}
	}
	for _, j := range jobCounts(cpus) {
		add(Setting{"zstd", 8, j, 1})
	}
	for w := 1; w <= 4; w++ {
		add(Setting{"zstd", 8, cpus, w})
	}
	return out
}
