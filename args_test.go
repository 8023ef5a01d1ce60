package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestNormalizeArgs: flags move before the arguments with their values,
// combined short flags split, -- ends the flags, -h is help except on ls.
func TestNormalizeArgs(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"ls out/a -l", "ls -l -- out/a"},
		{"ls -lh out/a", "ls -l -h -- out/a"},
		{"ls out/a -lh", "ls -l -h -- out/a"},
		{"ls -h out/a", "ls -h -- out/a"},
		{"check -d acq out/a -j x.json", "check -d acq -j x.json -- out/a"},
		{"verify X -q", "verify -q -- X"},
		{"unpack -d /restore a_0.h5 a_1.h5 -j 4", "unpack -d /restore -j 4 -- a_0.h5 a_1.h5"},
		{"create -- -src out/x", "create -- -src out/x"},
		{"create src -- out/x -q", "create -- src out/x -q"},
		{"create src out -c5 -qj2", "create -c 5 -q -j 2 -- src out"},
		{"create src out -qj 2", "create -q -j 2 -- src out"},
		{"create src out --clevel=5 --json -", "create --clevel=5 --json - -- src out"},
		{"create src out -c -1", "create -c -1 -- src out"},
		{"create src -h", "create --help -- src"},
		{"create src --help", "create --help -- src"},
		{"verify -x X", "verify -x -- X"},               // cli reports the unknown flag
		{"verify --bogus=1 X", "verify --bogus=1 -- X"}, // likewise
		{"verify -qx X", "verify -qx -- X"},             // x is no flag: left whole for cli
		{"cat -p - X", "cat -p - -- X"},
		{"cat X -", "cat -- X -"},
		{"mount A /mnt -e", "mount -e -- A /mnt"},
		{"completion bash", "completion -- bash"},
		{"version", "version"},
		{"--version", "--version"},
		{"-h", "--help"},
		{"help create", "create --help"},
		{"help", "--help"},
		{"-- verify X", "verify -- X"},
	}
	app := newApp()
	for _, c := range cases {
		got, err := normalizeArgs(app, append([]string{"hdf5vault"}, strings.Fields(c.in)...))
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if want := append([]string{"hdf5vault"}, strings.Fields(c.want)...); !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", c.in, got[1:], want[1:])
		}
	}
}

// TestNormalizeArgsUsageErrors: what cli would misreport is a usage error
// here, with a suggestion for a typo.
func TestNormalizeArgsUsageErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "no command given"},
		{"craete src out", `unknown command "craete"; did you mean create?`},
		{"verfy X", "did you mean verify?"},
		{"unpak X", "did you mean unpack?"},
		{"frobnicate", `unknown command "frobnicate" (commands: create, unpack`},
		{"-v", "unknown flag -v before the command"},
		{"help craete", "did you mean create?"},
		{"-q ls X", "unknown flag -q before the command"},
		{"unpack X -d", "unpack: flag -d needs a value"},
		{"create src out -qj", "create: flag -j needs a value"},
	}
	app := newApp()
	for _, c := range cases {
		_, err := normalizeArgs(app, append([]string{"hdf5vault"}, strings.Fields(c.in)...))
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want a usage error containing %q", c.in, err, c.want)
		}
		if strings.Contains(c.want, "frobnicate") && strings.Contains(err.Error(), "did you mean") {
			t.Errorf("%q: suggested a command for a word that is no typo: %v", c.in, err)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"create", "create", 0}, {"craete", "create", 1}, {"creat", "create", 1}, {"verfy", "verify", 1},
		{"ls", "cat", 3}, {"", "ls", 2}, {"mnt", "mount", 2}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
	names := commandNames(newApp())
	for in, want := range map[string]string{"craete": "create", "lss": "ls", "ca": "cat", "mout": "mount", "xyz": "", "l": "ls", "bnch": "bench"} {
		if got := suggest(in, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 1023: "1023", 1024: "1.0K", 1025: "1.1K", 1536: "1.5K",
		10 * 1024: "10K", 300000: "293K", 1048575: "1.0M", 1 << 20: "1.0M", 5 << 30: "5.0G", 1 << 40: "1.0T"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}
