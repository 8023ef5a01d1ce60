package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// progressSet archives 1500 small files (enough for every stage to last
// longer than a millisecond) and returns the source and the set's base.
func progressSet(t *testing.T) (src, base string) {
	t.Helper()
	dir := t.TempDir()
	src, base = filepath.Join(dir, "src"), filepath.Join(dir, "set")
	for _, args := range [][]string{
		{"bench", "--generate", src, "--small", "--files", "1500", "--size", "256"},
		{"create", "-q", src, base},
	} {
		if r := runBin(t, args...); r.code != exitOK {
			t.Fatalf("%q: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	return src, base
}

// runEnv runs the binary with extra environment variables.
func runEnv(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(readBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := 0
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return runResult{code, out.String(), errb.String()}
}

// TestReadProgressLogLines: without a terminal, unpack, verify and check
// log plain progress lines on stderr (every 5 s; here every millisecond),
// through the open and their own work; -q silences them.
func TestReadProgressLogLines(t *testing.T) {
	t.Parallel()
	src, base := progressSet(t)
	fast := []string{progressIntervalEnv + "=1ms"}
	for _, c := range []struct {
		args  []string
		verb  string
		sumup string
	}{
		{[]string{"verify", base}, "verifying", "verified 1500 files"},
		{[]string{"unpack", "-d", t.TempDir(), base}, "unpacking", "unpacked 1500 files"},
		{[]string{"check", "-d", src, base}, "checking", "check passed: 1500 files"},
	} {
		r := runEnv(t, fast, c.args...)
		if r.code != exitOK || !strings.Contains(r.stdout, c.sumup) {
			t.Fatalf("%q: exit %d\n%s%s", c.args, r.code, r.stdout, r.stderr)
		}
		prefix := "hdf5vault " + c.args[0] + ": "
		// (Opening a side-indexed set is too quick to be sure of a line.)
		for _, want := range []string{" of 1500 files", prefix + c.verb + " "} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: no %q on stderr:\n%s", c.args[0], want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "\r") {
			t.Errorf("%s: a terminal's bar without a terminal:\n%q", c.args[0], r.stderr)
		}
		wantStamped(t, r.stderr, prefix)

		quiet := append([]string{c.args[0], "-q"}, c.args[1:]...)
		if c.args[0] == "unpack" {
			quiet[3] = t.TempDir()
		}
		r = runEnv(t, fast, quiet...)
		if r.code != exitOK || r.stderr != "" || !strings.Contains(r.stdout, c.sumup) {
			t.Errorf("%q: exit %d, stderr %q, stdout %q", quiet, r.code, r.stderr, r.stdout)
		}
	}
}

// TestReadProgressBarOnTerminal: on a terminal (a pty made by script(1))
// verify draws a bar in place while it opens and reads the set, clears it,
// and prints its summary on a clean line.
func TestReadProgressBarOnTerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script (util-linux) not installed")
	}
	_, base := progressSet(t)
	for _, quiet := range []bool{false, true} {
		line := readBin + " verify " + base
		if quiet {
			line = readBin + " verify -q " + base
		}
		cmd := exec.Command("script", "-qec", line, "/dev/null")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%q", line, err, out)
		}
		s := string(out)
		summary := "verified 1500 files (384000 bytes)"
		if quiet {
			if s != summary+": all decoded, sizes match, 1500 of 1500 match their stored checksum\r\n" {
				t.Errorf("-q on a terminal: %q", s)
			}
			continue
		}
		for _, want := range []string{"\rhdf5vault verify: reading the index",
			"\rhdf5vault verify: verifying [",
			" of 1500 files, ", "\x1b[K\r\x1b[K" + summary} {
			if !strings.Contains(s, want) {
				t.Errorf("no %q on the terminal:\n%q", want, s)
			}
		}
	}
}

// onTerminal runs the binary with stdout and stderr on a pty (script(1))
// and returns what the terminal received.
func onTerminal(t *testing.T, env []string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script (util-linux) not installed")
	}
	line := readBin
	for _, a := range args {
		line += " " + shq(a)
	}
	cmd := exec.Command("script", "-qec", line, "/dev/null")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%q", line, err, out)
	}
	return string(out)
}

// TestOpenProgressLsCat: on a terminal, ls and cat show that they are
// opening the set once that takes longer than a second (here: at once),
// stage by stage, and clear the line before their output; ls -l of a set
// of the original's format (no side index) shows its layout check
// counting files. --quiet silences it, and without a terminal nothing is added.
func TestOpenProgressLsCat(t *testing.T) {
	t.Parallel()
	_, ours := progressSet(t)
	now := []string{openDelayEnv + "=0s", progressIntervalEnv + "=1ms"}
	cases := []struct {
		args   []string
		stages []string
		first  string // the output's first bytes
	}{
		{[]string{"ls", ours}, []string{"\rhdf5vault ls: reading the index"}, "small/d0000/s000000.dat\n"},
		{[]string{"cat", "--path", "small/d0000/s000000.dat", ours}, []string{"\rhdf5vault cat: reading the index"}, ""},
	}
	if _, err := os.Stat(fixtures); err == nil {
		orig := filepath.Join(fixtures, "archives", "set2")
		cases = append(cases, struct {
			args   []string
			stages []string
			first  string
		}{[]string{"ls", "-l", orig}, []string{"\rhdf5vault ls: reading the index", "\rhdf5vault ls: checking the layout [", " files"}, ""})
	}
	for _, c := range cases {
		plain := runEnv(t, now, c.args...)
		if plain.code != exitOK || plain.stderr != "" {
			t.Fatalf("%q without a terminal: exit %d, stderr %q", c.args, plain.code, plain.stderr)
		}
		if !strings.HasPrefix(plain.stdout, c.first) {
			t.Fatalf("%q: output %.80q", c.args, plain.stdout)
		}
		s := onTerminal(t, now, c.args...)
		for _, want := range c.stages {
			if !strings.Contains(s, want) {
				t.Errorf("%q: no %q on the terminal:\n%.300q", c.args, want, s)
			}
		}
		// The bar is cleared before the first byte of output.
		firstOut := strings.ReplaceAll(plain.stdout, "\n", "\r\n")[:min(20, len(plain.stdout))]
		if i := strings.Index(s, firstOut); i < 0 || !strings.HasSuffix(s[:i], "\r\x1b[K") {
			t.Errorf("%q: the output does not follow a cleared line:\n%.300q", c.args, s)
		}
		quiet := append([]string{c.args[0], "--quiet"}, c.args[1:]...)
		if s := onTerminal(t, now, quiet...); strings.Contains(s, "hdf5vault") || strings.Contains(s, "\x1b[K") {
			t.Errorf("%q: progress on the terminal:\n%.300q", quiet, s)
		}
		// Under load an open can take a second; only a run quicker than that
		// proves the delay.
		start := time.Now()
		s = onTerminal(t, nil, c.args...)
		if time.Since(start) < openDelay && strings.Contains(s, "hdf5vault "+c.args[0]+":") {
			t.Errorf("%q: a quick open showed progress before its second:\n%.300q", c.args, s)
		}
	}
}

// stamped is a log line's ISO 8601 (RFC 3339) time.
var stamped = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) `)

// wantStamped checks that every progress line (those holding marker and
// a rate, "/s") begins with the time it was written, and that there is one.
func wantStamped(t *testing.T, stderr, marker string) {
	t.Helper()
	n := 0
	for _, l := range strings.Split(stderr, "\n") {
		if !strings.Contains(l, marker) || !strings.Contains(l, "/s") {
			continue
		}
		n++
		ts := stamped.FindString(l)
		if ts == "" || !strings.HasPrefix(l, ts+marker) {
			t.Errorf("a progress line without its time first: %q", l)
			continue
		}
		if _, err := time.Parse(time.RFC3339, strings.TrimSpace(ts)); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
	if n == 0 {
		t.Errorf("no progress line (%q) in:\n%s", marker, stderr)
	}
}

// TestCreateLogLinesStamped: without a terminal, create logs its progress
// (every 5 s; here every millisecond), each line beginning with an ISO 8601
// time, and ends with its summary; -q silences the lines.
func TestCreateLogLinesStamped(t *testing.T) {
	src := genTree(t, 8)
	fast := []string{progressIntervalEnv + "=1ms"}
	r := runEnv(t, fast, "create", src, filepath.Join(t.TempDir(), "acq"))
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	wantStamped(t, r.stderr, "hdf5vault: ")
	if strings.Contains(r.stderr, "\r") || !strings.Contains(r.stderr, "\nhdf5vault: archived 10 files") {
		t.Errorf("not plain lines, or no summary:\n%s", r.stderr)
	}
	r = runEnv(t, fast, "create", "-q", src, filepath.Join(t.TempDir(), "acq"))
	if r.code != exitOK || r.stderr != "" {
		t.Errorf("-q: exit %d, stderr %q", r.code, r.stderr)
	}
}
