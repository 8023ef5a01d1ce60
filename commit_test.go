package main

// A create killed (SIGKILL, injected by strace at the N-th rename, link or
// unlink) at any instant of its commit leaves the old set, the new set or
// nothing under final names, and the next command finishes or undoes it.

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

// needStrace skips when strace is missing or cannot trace here (no ptrace).
func needStrace(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed (scripts/deps.sh installs it)")
	}
	if out, err := exec.Command(p, "-f", "-qq", "-o", "/dev/null", "-e", "trace=getpid", "true").CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here: %v %s", err, out)
	}
	return p
}

// setState is what the final names of set x in dir hold.
type setState struct {
	names []string            // members a reader takes for the set
	sums  map[string][32]byte // by name
}

func stateOf(t *testing.T, dir string) setState {
	t.Helper()
	names, err := archive.Members("x", listDir(t, dir))
	if err != nil {
		t.Fatalf("set x: %v", err)
	}
	st := setState{names: names, sums: map[string][32]byte{}}
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		st.sums[n] = sha256.Sum256(b)
	}
	return st
}

func (s setState) equal(o setState) bool {
	if !slices.Equal(s.names, o.names) {
		return false
	}
	for n, h := range s.sums {
		if o.sums[n] != h {
			return false
		}
	}
	return true
}

// moveCalls are the syscalls that move or remove a name.
var moveCalls = []string{"rename", "renameat", "renameat2", "link", "linkat", "unlink", "unlinkat"}

// TestCommitKilledAnywhere kills create (SIGKILL) at every call that moves
// or removes a name, for -w 1 and -w 4, fresh and with --force over an
// existing 4-file set.
func TestCommitKilledAnywhere(t *testing.T) {
	t.Parallel()
	strace := needStrace(t)
	oldSrc, newSrc := smallTree(t, 3), smallTree(t, 6)
	scratch := fastScratch(t)
	oldSet := filepath.Join(scratch, "old")
	os.Mkdir(oldSet, 0o755)
	mustRun(t, "create", "-q", "-w", "4", oldSrc, filepath.Join(oldSet, "x"))
	for _, sc := range []struct {
		w     int
		force bool
	}{{1, false}, {4, false}, {1, true}, {4, true}} {
		var want []string
		for n := range sc.w {
			want = append(want, archive.FileName("x", n, sc.w, false))
		}
		newOut := func(t *testing.T) (string, setState, []string) {
			out, err := os.MkdirTemp(scratch, "out")
			if err != nil {
				t.Fatal(err)
			}
			old, args := startState(t, out, oldSet, newSrc, sc.w, sc.force)
			return out, old, args
		}
		calls := countCalls(t, strace, newOut)
		if calls["rename"]+calls["renameat"]+calls["renameat2"]+calls["link"]+calls["linkat"] < sc.w {
			t.Fatalf("-w %d: strace saw only %v: the sweep would miss the commit", sc.w, calls)
		}
		for _, call := range moveCalls {
			for n := 1; n <= calls[call]; n++ {
				if !killPointSampled(n, calls[call]) {
					continue
				}
				t.Run(fmt.Sprintf("w%d force=%v %s=%d", sc.w, sc.force, call, n), func(t *testing.T) {
					t.Parallel() // each kill point has a directory of its own
					out, old, args := newOut(t)
					killAt(t, strace, out, call, n, old, args, sc.force, want)
				})
			}
		}
	}
}

// killPointSampled: -short kills create at the first, middle and last call
// of each kind (the whole sweep is make test-full's).
func killPointSampled(n, calls int) bool {
	return !testing.Short() || n == 1 || n == calls || n == (calls+1)/2
}

// startState copies the old set into out when force, and returns it with
// the command line of the run to kill.
func startState(t *testing.T, out, oldSet, newSrc string, w int, force bool) (setState, []string) {
	t.Helper()
	args := []string{"create", "-q", "-w", fmt.Sprint(w), newSrc, filepath.Join(out, "x")}
	if !force {
		return setState{}, args
	}
	for _, n := range listDir(t, oldSet) {
		b, err := os.ReadFile(filepath.Join(oldSet, n))
		if err == nil {
			err = os.WriteFile(filepath.Join(out, n), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return stateOf(t, out), append(args, "--force")
}

// countCalls runs create once under strace and counts each of moveCalls.
func countCalls(t *testing.T, strace string, newOut func(*testing.T) (string, setState, []string)) map[string]int {
	t.Helper()
	_, _, args := newOut(t)
	log := filepath.Join(t.TempDir(), "strace.log")
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", log, "-e", "trace=" + strings.Join(moveCalls, ","), readBin}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("traced create: %v\n%s", err, out)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		for _, c := range moveCalls {
			if strings.Contains(line, " "+c+"(") {
				calls[c]++
			}
		}
	}
	return calls
}

// killAt runs the create args with SIGKILL at the n-th call, checks the
// final names on disk, then the next verify and create.
func killAt(t *testing.T, strace, out, call string, n int, old setState, args []string, force bool, want []string) {
	base := filepath.Join(out, "x")
	inject := fmt.Sprintf("inject=%s:signal=SIGKILL:when=%d", call, n)
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", "/dev/null", "-e", "trace=" + call, "-e", inject, readBin}, args...)...)
	outb, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(err.Error(), "137") && !strings.Contains(err.Error(), "killed") {
		t.Fatalf("strace %s: %v\n%s", inject, err, outb)
	}

	journal := fileExists(filepath.Join(out, ".x.hdf5vault-commit"))
	now := stateOf(t, out)
	isNew := slices.Equal(now.names, want) && !now.equal(old)
	switch {
	case journal: // readers finish or undo it first (below)
	case len(now.names) == 0 && !force, now.equal(old) && force:
	case isNew:
		if r := runBin(t, "ls", base); r.code != 0 || strings.Count(r.stdout, "\n") != 6 {
			t.Fatalf("the new set does not list the new files: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	default:
		t.Fatalf("killed at %s: final names %q are neither the old set %q, the new set %q nor nothing (%q)", inject, now.names, old.names, want, listDir(t, out))
	}

	if journal || len(now.names) > 0 {
		r := runBin(t, "verify", base)
		if r.code != 0 {
			t.Fatalf("verify after the kill: exit %d: %s", r.code, r.stderr)
		}
		if journal && !strings.Contains(r.stderr, "finished the interrupted commit") && !strings.Contains(r.stderr, "undid the interrupted commit") {
			t.Fatalf("verify did not say it settled the commit: %s", r.stderr)
		}
		after := stateOf(t, out)
		if !after.equal(old) && !slices.Equal(after.names, want) {
			t.Fatalf("after verify: %q", after.names)
		}
	}
	if final := stateOf(t, out).names; slices.Equal(listDir(t, out), final) {
		return // nothing left over for the next create to clean
	}
	r := runBin(t, append(args[:len(args):len(args)], "--force")...) // --force: after a kill before the commit, the old set is still there
	if r.code != 0 {
		t.Fatalf("the next create: exit %d: %s", r.code, r.stderr)
	}
	if got := listDir(t, out); !slices.Equal(got, want) {
		t.Fatalf("after the next create: %q, want %q", got, want)
	}
}

// fastScratch is a tmpfs when one can be mounted (root), where fsync costs
// nothing and the sweep's hundred runs take seconds; else a temporary directory.
func fastScratch(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if exec.Command("mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", dir).Run() == nil {
		t.Cleanup(func() { exec.Command("umount", dir).Run() })
	}
	return dir
}
