package main

// The command line as users type it, through the binary: flags anywhere,
// usage errors, every exit code, version, completion and the man page.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// smallSet writes a source tree (a text file, three 300 kB random files
// split at 100 kB, so raw parts across two members) and archives it.
func smallSet(t *testing.T) (src, base string) {
	t.Helper()
	dir := t.TempDir()
	src = filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "d"), 0o755)
	os.WriteFile(filepath.Join(src, "a.txt"), bytes.Repeat([]byte("hello hdf5vault\n"), 100), 0o644)
	x := uint32(7)
	for i := range 3 {
		b := make([]byte, 300000)
		for j := range b {
			x = x*1664525 + 1013904223
			b[j] = byte(x >> 24)
		}
		os.WriteFile(filepath.Join(src, "d", fmt.Sprintf("f%d.bin", i)), b, 0o644)
	}
	base = filepath.Join(dir, "out", "set")
	os.Mkdir(filepath.Dir(base), 0o755)
	if r := runBin(t, "create", "-q", "-w", "2", "-s", "100000", src, base); r.code != 0 {
		t.Fatalf("create: exit %d\n%s", r.code, r.stderr)
	}
	return src, base
}

// TestFlagsAnywhere: the command lines of issue 15, each of which took a
// flag after the arguments for an archive name (exit 1) before.
func TestFlagsAnywhere(t *testing.T) {
	t.Parallel()
	src, base := smallSet(t)
	dir := t.TempDir()
	members, _ := filepath.Glob(base + "_*.h5")
	json := filepath.Join(dir, "x.json")
	cases := []struct {
		args []string
		want string // in stdout
	}{
		{[]string{"ls", base, "-l"}, "total: 4 files in 2 archive file(s)"},
		{[]string{"ls", "-lh", base}, "293K"},
		{[]string{"ls", base, "-lh"}, "293K"},
		{[]string{"check", "-d", src, base, "-j", json}, "check passed: 4 files"},
		{[]string{"verify", base, "-q"}, "verified 4 files"},
		{[]string{"verify", base, "-j", "2"}, "verified 4 files"},
		{[]string{"verify", base, "--workers", "1"}, "verified 4 files"},
		{append(append([]string{"unpack", "-d", filepath.Join(dir, "restore")}, members...), "-j", "4"), "unpacked 4 files"},
		{[]string{"cat", base, "-qp", "a.txt"}, "hello hdf5vault"},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i, c.args[0]), func(t *testing.T) {
			r := runBin(t, c.args...)
			if r.code != 0 || !strings.Contains(r.stdout, c.want) {
				t.Fatalf("hdf5vault %q: exit %d, want 0 and %q in stdout\nstdout: %s\nstderr: %s", c.args, r.code, c.want, r.stdout, r.stderr)
			}
		})
	}
	if b, err := os.ReadFile(json); err != nil || !bytes.Contains(b, []byte(`"md5_orig"`)) {
		t.Errorf("check -j after the archive wrote no summary: %v %s", err, b)
	}
	// -- ends the flags: a source directory whose name starts with a dash.
	odd := filepath.Join(dir, "-src")
	os.Mkdir(odd, 0o755)
	os.WriteFile(filepath.Join(odd, "f"), []byte("x"), 0o644)
	cmd := exec.Command(readBin, "create", "-q", "-w", "1", "--", "-src", "out-x")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create -- -src out-x: %v\n%s", err, out)
	}
	if r := runBin(t, "ls", filepath.Join(dir, "out-x")); r.code != 0 || r.stdout != "f\n" {
		t.Errorf("ls of the set made from -src: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
}

// TestExitCodes: every exit status through the binary, and usage errors as
// one or two lines on stderr with nothing on stdout.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	src, base := smallSet(t)
	changed := t.TempDir()
	os.WriteFile(filepath.Join(changed, "a.txt"), []byte("not the archived bytes"), 0o644)
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string // in stderr
		stdout string // in stdout ("" for usage errors: stdout must be empty)
	}{
		{"version command", []string{"version"}, 0, "", "libhdf5: 1."},
		{"--version", []string{"--version"}, 0, "", "format:  HDF5Vault 0.3"},
		{"ls with flags after", []string{"ls", base, "-l"}, 0, "", "d/f2"},
		{"help", []string{"create", "--help"}, 0, "", "--clevel"},
		{"-h is help", []string{"verify", "-h"}, 0, "", "--jobs"},
		{"missing archive", []string{"verify", base + "-none"}, 1, "no archive", ""},
		{"unknown command", []string{"craete", src, base}, 2, "did you mean create?", ""},
		{"no command", nil, 2, "no command given", ""},
		{"unknown flag", []string{"create", src, base + "2", "--bogus"}, 2, "unknown flag -bogus", ""},
		{"-v is not version", []string{"verify", "-v", base}, 2, "--version prints the version", ""},
		{"-w is no longer verify's", []string{"verify", "-w", "2", base}, 2, "--jobs", ""},
		{"flag value missing", []string{"unpack", base, "-d"}, 2, "flag -d needs a value", ""},
		{"bad value", []string{"create", src, base + "2", "-c", "12"}, 2, "--clevel must be 1..9", ""},
		{"create needs two args", []string{"create", src}, 2, "create needs SRC_DIR and ARCHIVE_BASE", ""},
		{"verify needs an archive", []string{"verify"}, 2, "no archive given", ""},
		{"ls -h is not help", []string{"ls", "-h"}, 2, "--help shows help", ""},
		{"check needs -d", []string{"check", base}, 2, "-d DIR is required", ""},
		{"cat needs -p", []string{"cat", base}, 2, "--path PATH is required", ""},
		{"mount needs a mount point", []string{"mount", base}, 2, "MOUNTPOINT", ""},
		{"completion needs a shell", []string{"completion"}, 2, "bash, zsh or fish", ""},
		{"version takes no args", []string{"version", "x"}, 2, "no arguments", ""},
		{"check differences", []string{"check", "-d", changed, base, "-q"}, 3, "FAILED", "FAIL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runBin(t, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.stderr) || !strings.Contains(r.stdout, c.stdout) {
				t.Fatalf("hdf5vault %q: exit %d (want %d)\nstdout (want %q): %s\nstderr (want %q): %s",
					c.args, r.code, c.code, c.stdout, r.stdout, c.stderr, r.stderr)
			}
			if c.code == 2 {
				if r.stdout != "" {
					t.Errorf("usage error wrote to stdout: %q", r.stdout)
				}
				if n := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; n > 2 {
					t.Errorf("usage error took %d lines on stderr, want 1-2:\n%s", n, r.stderr)
				}
			}
		})
	}
	t.Run("interrupted", func(t *testing.T) {
		acq, out := genTree(t, 48), t.TempDir()
		cmd, errb := startCreate(t, acq, out, "acq", 1)
		cmd.Process.Signal(os.Interrupt)
		if code := exitOf(cmd.Wait()); code != 130 {
			t.Fatalf("exit %d after SIGINT, want 130 (did the run finish first?)\n%s", code, errb.String())
		}
	})
}

// TestVersionText: --version names the semantic version, Go, libhdf5 and
// the archive format.
func TestVersionText(t *testing.T) {
	t.Parallel()
	r := runBin(t, "--version")
	for _, re := range []string{`(?m)^hdf5vault \d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`, `(?m)^go: +go1\.\d+`,
		`(?m)^libhdf5: +1\.\d+\.\d+$`, `(?m)^format: +HDF5Vault 0\.3 .*0\.3\.0\+hdf5vault\.\d+`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("--version output does not match %s:\n%s", re, r.stdout)
		}
	}
	if v := runBin(t, "version"); v.stdout != r.stdout || v.code != 0 {
		t.Errorf("version command differs from --version: exit %d\n%s", v.code, v.stdout)
	}
}

// TestCompletionBash: the bash script loads and completes commands, flags
// (ls -h, the new short flag, included) and the completion command's shells.
func TestCompletionBash(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join(t.TempDir(), "hdf5vault.bash")
	r := runBin(t, "completion", "bash")
	if r.code != 0 {
		t.Fatalf("completion bash: exit %d %s", r.code, r.stderr)
	}
	os.WriteFile(script, []byte(r.stdout), 0o644)
	complete := func(words ...string) []string {
		t.Helper()
		sh := fmt.Sprintf(`set -e; source %q; complete -p hdf5vault >/dev/null; COMP_WORDS=(%s); COMP_CWORD=%d; _hdf5vault; printf '%%s\n' "${COMPREPLY[@]}"`,
			script, strings.Join(words, " "), len(words)-1)
		out, err := exec.Command("bash", "-c", sh).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		return strings.Fields(string(out))
	}
	has := func(got []string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+w+" ") {
				t.Errorf("completion %q lacks %s", got, w)
			}
		}
	}
	has(complete("hdf5vault", "''"), "create", "unpack", "check", "verify", "ls", "cat", "mount", "bench", "version", "completion", "man")
	if got := complete("hdf5vault", "cr"); len(got) != 1 || got[0] != "create" {
		t.Errorf("completing cr: %q", got)
	}
	has(complete("hdf5vault", "ls", "-"), "-l", "-h", "--human-readable", "--long", "-0", "--help")
	has(complete("hdf5vault", "create", "src", "--c"), "--clevel", "--cmethod", "--chunksize", "--codec")
	has(complete("hdf5vault", "completion", "''"), "bash", "zsh", "fish")
}

// TestCompletionScripts: zsh and fish scripts name every command and flag,
// and parse in their shell when it is installed.
func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	app := newApp()
	for _, sh := range []string{"zsh", "fish"} {
		r := runBin(t, "completion", sh)
		if r.code != 0 {
			t.Fatalf("completion %s: exit %d %s", sh, r.code, r.stderr)
		}
		for _, c := range app.Commands {
			if !strings.Contains(r.stdout, c.Name) {
				t.Errorf("%s script lacks the command %s", sh, c.Name)
			}
			for _, f := range c.VisibleFlags() {
				for _, n := range f.Names() {
					word := map[string]string{"zsh": dashed(n), "fish": map[bool]string{true: "-s " + n, false: "-l " + n}[len(n) == 1]}[sh]
					if !strings.Contains(r.stdout, word) {
						t.Errorf("%s script lacks %s %s", sh, c.Name, word)
					}
				}
			}
		}
		if _, err := exec.LookPath(sh); err != nil {
			continue // not installed here: the names are checked above
		}
		script := filepath.Join(t.TempDir(), "hdf5vault."+sh)
		os.WriteFile(script, []byte(r.stdout), 0o644)
		// Parse it; zsh also loads it after compinit and must register it.
		check := map[string][]string{
			"zsh":  {"-f", "-c", fmt.Sprintf(`autoload -U compinit && compinit -u -D && source %q && [[ $_comps[hdf5vault] == _hdf5vault ]]`, script)},
			"fish": {"--no-config", "-n", script},
		}[sh]
		if out, err := exec.Command(sh, check...).CombinedOutput(); err != nil {
			t.Errorf("%s %q: %v\n%s", sh, check, err, out)
		}
	}
}

// TestManPage: the generated page renders and names every command and every
// flag.
func TestManPage(t *testing.T) {
	t.Parallel()
	r := runBin(t, "man")
	if r.code != 0 || !strings.HasPrefix(r.stdout, ".TH HDF5VAULT 1") {
		t.Fatalf("man: exit %d\n%.300s\n%s", r.code, r.stdout, r.stderr)
	}
	text := strings.ReplaceAll(r.stdout, `\-`, "-")
	if _, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command("groff", "-man", "-Tascii", "-P-c", "-P-b", "-P-u", "-ww")
		cmd.Stdin = strings.NewReader(r.stdout)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil || errb.Len() > 0 {
			t.Fatalf("groff: %v\n%s", err, errb.String())
		}
		text = string(out)
	}
	for _, sect := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS"} {
		if !strings.Contains(text, sect) {
			t.Errorf("man page lacks the section %s", sect)
		}
	}
	for _, c := range newApp().Commands {
		if !strings.Contains(text, "hdf5vault "+c.Name+" [flags]") {
			t.Errorf("man page lacks the command %s", c.Name)
		}
		for _, f := range c.VisibleFlags() {
			for _, n := range f.Names() {
				if !strings.Contains(text, dashed(n)) {
					t.Errorf("man page lacks %s %s", c.Name, dashed(n))
				}
			}
		}
	}
}
