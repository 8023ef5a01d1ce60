package main

// Fault injection through the built binary (issue 5): runs killed or
// interrupted mid-create, a full disk and a file size limit, source files
// that vanish, grow or cannot be read, damaged archives, and edge-case trees.
// Every failure must exit with the right code, name the cause, leave no file
// under a final archive name, leave the source untouched, and allow a clean
// re-run.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/bench"
)

// treeState maps each path under a tree (files and directories) to its
// content hash, mode and mtime, to prove a run left the source alone.
func treeState(t *testing.T, dir string) map[string]string {
	t.Helper()
	st := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := "dir"
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			sum = hex.EncodeToString(h[:])
		}
		st[rel] = fmt.Sprintf("%s %v %d", sum, fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sameState reports paths whose state differs, except those in skip (paths
// the test itself changed).
func sameState(t *testing.T, before, after map[string]string, skip ...string) {
	t.Helper()
	ignore := map[string]bool{}
	for _, s := range skip {
		ignore[s] = true
	}
	for p, b := range before {
		if !ignore[p] && after[p] != b {
			t.Errorf("source %s changed: %q -> %q", p, b, after[p])
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok && !ignore[p] {
			t.Errorf("source gained %s", p)
		}
	}
}

// finalNames lists the files in dir that carry a final archive name of the
// set base (BASE.h5, BASE_<n>.h5, .zip forms), and the temporary ones.
func finalNames(t *testing.T, dir, base string) (final, temp []string) {
	t.Helper()
	for _, n := range listDir(t, dir) {
		switch {
		case archive.IsTempName(n):
			temp = append(temp, n)
		case strings.HasPrefix(n, base) && (strings.HasSuffix(n, ".h5") || strings.HasSuffix(n, ".zip")):
			final = append(final, n)
		}
	}
	return final, temp
}

// noArchive fails if dir holds a file under a final name of the set base,
// or (when tempsToo) any temporary file.
func noArchive(t *testing.T, dir, base string, tempsToo bool) {
	t.Helper()
	final, temp := finalNames(t, dir, base)
	if len(final) > 0 {
		t.Errorf("final archive names after a failed run: %q", final)
	}
	if tempsToo && len(temp) > 0 {
		t.Errorf("temporary files left after a failed run: %q", temp)
	}
}

// wantFail checks exit code and that stderr names every string in want.
func wantFail(t *testing.T, what string, r runResult, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: exit %d, want %d\n%s%s", what, r.code, code, r.stdout, r.stderr)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.stdout+r.stderr, w) {
			t.Errorf("%s: message does not name %q:\n%s%s", what, w, r.stdout, r.stderr)
		}
	}
}

// cleanRun archives src as out/base and proves the set sound: verify exits
// 0, unpack restores every byte, check passes against the source.
func cleanRun(t *testing.T, src, out, base string, extra ...string) string {
	t.Helper()
	set := filepath.Join(out, base)
	r := runBin(t, append([]string{"create", src, set, "-c", "1"}, extra...)...)
	if r.code != 0 {
		t.Fatalf("clean re-run: exit %d\n%s", r.code, r.stderr)
	}
	if _, temp := finalNames(t, out, base); len(temp) > 0 {
		t.Errorf("temporary files after a clean run: %q", temp)
	}
	mustRun(t, "verify", set)
	dest := filepath.Join(t.TempDir(), "dest")
	mustRun(t, "unpack", "-d", dest, set)
	sameTree(t, sourceFiles(t, filepath.Join(dest, base)), sourceFiles(t, src))
	mustRun(t, "check", "-d", src, set)
	return r.stderr
}

// genTree writes a synthetic acquisition of n fields of 512 KiB: long enough
// to create at -c 9 -j 1 that a signal lands mid-run.
func genTree(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "acq")
	if _, err := bench.Generate(dir, bench.FieldSpec(n, 512<<10, 7)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitFor waits until the file at path contains s.
func waitFor(path, s string, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if b, _ := os.ReadFile(path); bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// startCreate starts a slow create of src into out/base and waits until its
// temporary files hold at least minBytes (the walk is done, writing is on;
// the small memory budget keeps the readers only a few files ahead).
func startCreate(t *testing.T, src, out, base string, minBytes int64, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	args := []string{"create", "-q", "-c", "9", "-j", "1", "-w", "2", "--max-memory", "2MiB", src, filepath.Join(out, base)}
	cmd := exec.Command(readBin, append(args, extra...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var n int64
		_, temp := finalNames(t, out, base)
		for _, p := range temp {
			if fi, err := os.Stat(filepath.Join(out, p)); err == nil {
				n += fi.Size()
			}
		}
		if len(temp) > 0 && n >= minBytes {
			return cmd, &errb
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("no temporary file of %d bytes within 20 s\n%s", minBytes, errb.String())
	return nil, nil
}

func exitOf(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// stopCreateAt starts create -q with args under strace, which stops it
// right after its first call of syscall on path p (a signal injected at a
// call stops the process as the call returns), and waits until it is
// stopped; resumeStopped resumes it.
func stopCreateAt(t *testing.T, p, call string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	strace := needStrace(t)
	log := filepath.Join(t.TempDir(), "strace.log")
	cmd := exec.Command(strace, append([]string{"-f", "-qq", "-o", log, "-P", p, "-e", "trace=" + call,
		"-e", "inject=" + call + ":signal=SIGSTOP:when=1", readBin, "create", "-q"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(log, "stopped by SIGSTOP", 60*time.Second) {
		cmd.Process.Kill()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		t.Fatalf("create never stopped at its %s of %s\n%s", call, p, errb.String())
	}
	return cmd, &errb
}

// TestCreateWithoutOpenat2: on a kernel without openat2 (strace makes it
// fail with ENOSYS), create tries it once, then opens every directory and
// file by path as before, and the set holds the tree.
func TestCreateWithoutOpenat2(t *testing.T) {
	strace := needStrace(t)
	src := genTree(t, 20)
	set := filepath.Join(t.TempDir(), "old")
	calls := straceCounts(t, strace, []string{"-e", "trace=openat2,openat", "-e", "inject=openat2:error=ENOSYS"},
		"create", "-q", "-w", "2", src, set)
	files := 0
	filepath.WalkDir(src, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files++
		}
		return err
	})
	if calls["openat2"] != 1 || calls["openat"] < files {
		t.Errorf("openat2 %d calls (want 1, then none), openat %d for %d files", calls["openat2"], calls["openat"], files)
	}
	if r := runBin(t, "check", "-d", src, set); r.code != 0 {
		t.Fatalf("check of the set made without openat2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// changeStopped stops create at its first call on p (stopCreateAt), makes
// change while it is stopped, resumes it until it exits and returns its
// exit code and stderr; a change that fails fails the test.
func changeStopped(t *testing.T, p, call string, change func() error, args ...string) (int, *bytes.Buffer) {
	t.Helper()
	cmd, errb := stopCreateAt(t, p, call, args...)
	err := change()
	code := resumeStopped(cmd)
	if err != nil {
		t.Fatal(err)
	}
	return code, errb
}

// resumeStopped resumes a create stopped by stopCreateAt until it exits and
// returns its exit code. strace counts calls per thread, so a later call
// on another thread may stop it again: it is resumed until it is done.
func resumeStopped(cmd *exec.Cmd) int {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGCONT)
		select {
		case err := <-done:
			return exitOf(err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestFaultKilledCreate: SIGKILL leaves only temporary files, which the next
// create removes and reports; SIGTERM and SIGHUP exit 130 and leave nothing.
func TestFaultKilledCreate(t *testing.T) {
	src := genTree(t, 120)
	before := treeState(t, src)

	for i, zip := range []bool{false, true} {
		t.Run(fmt.Sprint("SIGKILL zip=", zip), func(t *testing.T) {
			sampleOut(t, i)
			out := t.TempDir()
			extra, want := []string{"-w", "2"}, []string{"acq_0.h5", "acq_1.h5"}
			if zip {
				extra, want = append(extra, "-z"), []string{"acq_0.zip", "acq_1.zip"}
			}
			cmd, errb := startCreate(t, src, out, "acq", 1<<20, extra...)
			cmd.Process.Kill()
			err := cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("create was not killed (finished first?): %v\n%s", err, errb.String())
			}
			final, temp := finalNames(t, out, "acq")
			if len(final) > 0 || len(temp) != 2 {
				t.Fatalf("after SIGKILL: final %q, temporary %q; want only the 2 temporary files", final, temp)
			}
			sameState(t, before, treeState(t, src))
			msg := cleanRun(t, src, out, "acq", extra...)
			for _, n := range temp {
				if !strings.Contains(msg, "removed stale temporary file "+filepath.Join(out, n)) {
					t.Errorf("the re-run did not report removing %s:\n%s", n, msg)
				}
			}
			if got := listDir(t, out); !equalStrings(got, want) {
				t.Errorf("after the re-run: %q, want %q", got, want)
			}
		})
	}

	for i, sig := range []struct {
		sig  syscall.Signal
		text string
	}{{syscall.SIGHUP, "hangup"}, {syscall.SIGTERM, "terminated"}} {
		t.Run(sig.text, func(t *testing.T) {
			sampleOut(t, i)
			out := t.TempDir()
			cmd, errb := startCreate(t, src, out, "acq", 1<<20)
			cmd.Process.Signal(sig.sig)
			if code := exitOf(cmd.Wait()); code != 130 {
				t.Fatalf("exit %d after %v, want 130 (did the run finish first?)\n%s", code, sig.sig, errb.String())
			}
			if !strings.Contains(errb.String(), "interrupted: "+sig.text+" signal received") {
				t.Errorf("%v: the message does not say the run was interrupted:\n%s", sig.sig, errb.String())
			}
			noArchive(t, out, "acq", true)
			sameState(t, before, treeState(t, src))
			cleanRun(t, src, out, "acq", "-w", "2")
		})
	}
}

// limited runs the binary with RLIMIT_FSIZE set to limit bytes.
func limited(t *testing.T, limit int64, args ...string) runResult {
	t.Helper()
	var cmd *exec.Cmd
	if p, err := exec.LookPath("prlimit"); err == nil {
		cmd = exec.Command(p, append([]string{fmt.Sprintf("--fsize=%d", limit), readBin}, args...)...)
	} else {
		script := fmt.Sprintf(`ulimit -f %d && exec "$0" "$@"`, limit/1024)
		cmd = exec.Command("bash", append([]string{"-c", script, readBin}, args...)...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("killed by %v instead of failing with an error\n%s", ws.Signal(), errb.String())
	}
	if exitOf(err) < 0 {
		t.Fatal(err)
	}
	return runResult{exitOf(err), out.String(), errb.String()}
}

// TestFaultFileSizeLimit: with RLIMIT_FSIZE below the archive's size, the
// kernel sends SIGXFSZ and write fails with EFBIG; the Go runtime does not
// die of the signal, so create must fail cleanly naming the cause.
func TestFaultFileSizeLimit(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	before := treeState(t, src)
	for _, zip := range []bool{false, true} {
		t.Run(fmt.Sprint("zip=", zip), func(t *testing.T) {
			out := t.TempDir()
			args := []string{"create", "-q", "-w", "1", src, filepath.Join(out, "lim")}
			if zip {
				args = append(args, "-z")
			}
			r := limited(t, 100_000, args...)
			member := filepath.Join(out, "lim.h5")
			if zip {
				member = filepath.Join(out, "lim.zip")
			}
			wantFail(t, "create over RLIMIT_FSIZE", r, 1, "file too large", member)
			oneContext(t, r.stderr, src, member)
			noArchive(t, out, "lim", true)
			sameState(t, before, treeState(t, src))
			name, extra := "lim.h5", []string{"-w", "1", "-j", "1"}
			if zip {
				name, extra = "lim.zip", append(extra, "-z")
			}
			cleanRun(t, src, out, "lim", extra...)

			// A limit just short of the whole archive (HDF5 layouts vary by a
			// few hundred bytes between runs): one of the last writes fails,
			// a payload, HDF5's metadata at close, or the zip directory.
			fi, err := os.Stat(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			out2 := t.TempDir()
			r = limited(t, fi.Size()-2048, append([]string{"create", "-q", "-c", "1", src, filepath.Join(out2, "lim")}, extra...)...)
			wantFail(t, "create just over RLIMIT_FSIZE", r, 1, "too large", out2)
			noArchive(t, out2, "lim", true)
		})
	}

	// unpack under the limit: the large files fail, nothing truncated
	// carries a real name.
	out := t.TempDir()
	set := filepath.Join(out, "set")
	mustRun(t, "create", "-q", "-w", "1", src, set)
	dest := filepath.Join(t.TempDir(), "dest")
	r := limited(t, 100_000, "unpack", "-j", "1", "-d", dest, set)
	wantFail(t, "unpack over RLIMIT_FSIZE", r, 1, "file too large")
	onlyCompleteFiles(t, filepath.Join(dest, "set"), sourceFiles(t, src))
}

// oneContext checks that create's error is one line that names the source
// file, the member and the cause once each: "SRC/F: storing it in MEMBER:
// write: file too large", not the temporary file's name again and again.
func oneContext(t *testing.T, stderr, src, member string) {
	t.Helper()
	msg := strings.TrimSpace(stderr)
	if strings.Count(msg, "\n") > 0 || strings.Count(msg, src) != 1 || strings.Count(msg, member) != 1 ||
		strings.Contains(msg, archive.TempSuffix) || !strings.Contains(msg, ": storing ") {
		t.Errorf("create's error does not say the source file, the member and the cause once each:\n%s", msg)
	}
}

// onlyCompleteFiles fails if a file under dir is a temporary file or differs
// from its source.
func onlyCompleteFiles(t *testing.T, dir string, src map[string][]byte) {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		return // nothing written at all
	}
	for p, b := range sourceFiles(t, dir) {
		switch want, ok := src[p]; {
		case archive.IsTempName(filepath.Base(p)):
			t.Errorf("temporary file left: %s", p)
		case !ok:
			t.Errorf("unexpected file %s", p)
		case !bytes.Equal(b, want):
			t.Errorf("%s: %d bytes under its real name, the source has %d", p, len(b), len(want))
		}
	}
}

// smallTmpfs mounts a tmpfs of the given size, or skips.
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// TestFaultDiskFull: create and unpack on a 2 MiB tmpfs fail naming "no
// space left", and leave no archive and no truncated file under a real name.
func TestFaultDiskFull(t *testing.T) {
	t.Parallel()
	src := genTree(t, 12) // 6 MiB of fields, about 3 MiB stored
	before := treeState(t, src)
	for _, zip := range []bool{false, true} {
		t.Run(fmt.Sprint("create zip=", zip), func(t *testing.T) {
			full := smallTmpfs(t, "2m")
			args := []string{"create", "-q", "-w", "2", src, filepath.Join(full, "acq")}
			if zip {
				args = append(args, "-z")
			}
			r := runBin(t, args...)
			wantFail(t, "create on a full disk", r, 1, "no space left on device", full)
			noArchive(t, full, "acq", true)
			sameState(t, before, treeState(t, src))
		})
	}
	t.Run("unpack", func(t *testing.T) {
		out := t.TempDir()
		set := filepath.Join(out, "acq")
		mustRun(t, "create", "-q", "-c", "1", "-w", "1", src, set)
		full := smallTmpfs(t, "2m")
		r := runBin(t, "unpack", "-j", "2", "-d", full, set)
		wantFail(t, "unpack on a full disk", r, 1, "no space left on device")
		onlyCompleteFiles(t, filepath.Join(full, "acq"), sourceFiles(t, src))
	})
	cleanRun(t, src, t.TempDir(), "acq")
}

// TestFaultSourceChanges: a file that cannot be read, one deleted after the
// walk, one growing while read and one truncated while mapped each fail the
// run naming the file.
func TestFaultSourceChanges(t *testing.T) {
	t.Run("unreadable", func(t *testing.T) {
		src := copyFixtureTree(t)
		bad, extra := unreadableFile(t, src)
		before := treeState(t, src)
		out := t.TempDir()
		r := runBin(t, append([]string{"create", "-q", "-w", "2", src, filepath.Join(out, "u")}, extra...)...)
		wantFail(t, "unreadable file", r, 1, bad)
		noArchive(t, out, "u", true)
		sameState(t, before, treeState(t, src))
		os.Remove(filepath.Join(src, bad))
		cleanRun(t, src, out, "u")
	})

	src := genTree(t, 80)
	// The walk goes directory by directory, files before subdirectories, in
	// sorted order: the last well's last fields are read last.
	last := "Plate1/A10/A10_f04_ch2.tif"
	field := "Plate1/A10/A10_f04_ch1.tif"
	for _, p := range []string{last, field} {
		if _, err := os.Stat(filepath.Join(src, p)); err != nil {
			t.Fatalf("generated tree lacks %s: %v", p, err)
		}
	}

	t.Run("deleted", func(t *testing.T) {
		before := treeState(t, src)
		saved, err := os.ReadFile(filepath.Join(src, last))
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		cmd, errb := startCreate(t, src, out, "del", 1<<20)
		os.Remove(filepath.Join(src, last))
		if code := exitOf(cmd.Wait()); code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errb.String())
		}
		if !strings.Contains(errb.String(), last) || !strings.Contains(errb.String(), "no such file") {
			t.Errorf("the message does not name %s and its cause:\n%s", last, errb.String())
		}
		noArchive(t, out, "del", true)
		sameState(t, before, treeState(t, src), last, "Plate1/A10")
		os.WriteFile(filepath.Join(src, last), saved, 0o644)
		cleanRun(t, src, out, "del")
	})

	// strace stops create right after the reader's first read of the field
	// (its bytes, before the read that must find the end and the stat
	// compared with the walk's); the field grows while create is stopped,
	// then create goes on: the only possible outcome is that it finds the
	// file grew.
	t.Run("growing", func(t *testing.T) {
		before := treeState(t, src)
		p := filepath.Join(src, field)
		saved, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		code, errb := changeStopped(t, p, "read", func() error {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err == nil {
				_, err = f.Write(bytes.Repeat([]byte{0x55}, 4096))
				f.Close()
			}
			return err
		}, "-w", "2", src, filepath.Join(out, "grow"))
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errb.String())
		}
		// A small file is checked against the walk's stat, not one taken
		// after opening it, so its reader cannot tell growth while it read
		// from growth since the walk: it reads the file again, and then
		// says the latter.
		grew := fmt.Sprintf("%s: size changed from %d to %d bytes since the walk", field, len(saved), len(saved)+4096)
		if msg := errb.String(); !strings.Contains(msg, field+": file grew while being read") && !strings.Contains(msg, grew) {
			t.Errorf("the message does not name %s and that it grew:\n%s", field, msg)
		}
		noArchive(t, out, "grow", true)
		sameState(t, before, treeState(t, src), field)
		os.WriteFile(p, saved, 0o644)
		cleanRun(t, src, out, "grow")
	})

	// strace stops create right after the walk's lstat of the field (a
	// signal injected at a system call stops the process as the call
	// returns); meanwhile the field is replaced by a symlink to a file of
	// the same size outside the tree.
	// The walk saw a regular file and does not follow symlinks, so the run
	// must refuse it rather than store the other file's bytes under its name.
	t.Run("now a symlink", func(t *testing.T) {
		before := treeState(t, src)
		p := filepath.Join(src, field)
		saved, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		other := filepath.Join(t.TempDir(), "other")
		if err := os.WriteFile(other, bytes.Repeat([]byte{0x55}, len(saved)), 0o644); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		code, errb := changeStopped(t, p, "newfstatat", func() error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink(other, p)
		}, "-w", "2", src, filepath.Join(out, "link"))
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errb.String())
		}
		if msg := errb.String(); !strings.Contains(msg, field+": no longer a regular file (it or a directory above it is now a symlink)") {
			t.Errorf("the message does not name %s and that it is now a symlink:\n%s", field, msg)
		}
		noArchive(t, out, "link", true)
		os.Remove(p)
		os.WriteFile(p, saved, 0o644)
		sameState(t, before, treeState(t, src), field, "Plate1/A10")
		cleanRun(t, src, out, "link")
	})

	// The same stop; meanwhile the field's well is moved away and a symlink
	// in its place leads to a directory outside the tree holding a file of
	// the field's name and size. The run must refuse the field rather than
	// store the outside file's bytes under its name.
	t.Run("under a symlink now", func(t *testing.T) {
		before := treeState(t, src)
		p := filepath.Join(src, field)
		well := filepath.Dir(p)
		other := t.TempDir() // every file of the well, same names and sizes, other bytes
		for _, n := range listDir(t, well) {
			fi, err := os.Stat(filepath.Join(well, n))
			if err == nil {
				err = os.WriteFile(filepath.Join(other, n), bytes.Repeat([]byte{0x55}, int(fi.Size())), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		out := t.TempDir()
		code, errb := changeStopped(t, p, "newfstatat", func() error {
			if err := os.Rename(well, well+".moved"); err != nil {
				return err
			}
			return os.Symlink(other, well)
		}, "-w", "2", src, filepath.Join(out, "dirlink"))
		if code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errb.String())
		}
		// The first file of the well a reader opens after the swap is the
		// one named; any of them is under the symlink now.
		if msg := errb.String(); !regexp.MustCompile(`Plate1/A10/A10_f0\d_ch\d\.tif: no longer a regular file \(it or a directory above it is now a symlink\)`).MatchString(msg) {
			t.Errorf("the message does not name a file of the well and that it is under a symlink now:\n%s", msg)
		}
		noArchive(t, out, "dirlink", true)
		os.Remove(well)
		if err := os.Rename(well+".moved", well); err != nil {
			t.Fatal(err)
		}
		sameState(t, before, treeState(t, src), "Plate1/A10", "Plate1")
		cleanRun(t, src, out, "dirlink")
	})

	// Fields of 1.5 MiB are mapped, not read. Truncating every field under
	// the run hits the one being compressed (a fault on its mapping, or its
	// size after the read) and the ones not yet opened (size changed since
	// the walk): the run fails naming a field, and does not crash.
	t.Run("truncated", func(t *testing.T) {
		sampleOut(t, 1) // "deleted" is the same race; .ci/run runs both
		big := filepath.Join(t.TempDir(), "acq")
		if _, err := bench.Generate(big, bench.FieldSpec(40, 3<<19, 5)); err != nil {
			t.Fatal(err)
		}
		saved := map[string][]byte{}
		filepath.WalkDir(big, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".tif") {
				saved[p], err = os.ReadFile(p)
			}
			return err
		})
		out := t.TempDir()
		cmd, errb := startCreate(t, big, out, "cut", 1<<20)
		for p := range saved {
			if err := os.Truncate(p, 1000); err != nil {
				t.Fatal(err)
			}
		}
		err := cmd.Wait()
		if code := exitOf(err); code != 1 {
			t.Fatalf("exit %d, want 1\n%s", code, errb.String())
		}
		msg := errb.String()
		t.Log(strings.TrimSpace(msg))
		if !strings.Contains(msg, ".tif") || !(strings.Contains(msg, "size changed") || strings.Contains(msg, "shrank")) {
			t.Errorf("the message does not name a field and its cause:\n%s", msg)
		}
		noArchive(t, out, "cut", true)
		for p, b := range saved {
			os.WriteFile(p, b, 0o644)
		}
		cleanRun(t, big, out, "cut")
	})
}

// locateScript prints the archive file, byte offset and length of the first
// part of a file's payload, found with h5py or zipfile (not our reader).
const locateScript = `
import json, struct, sys, zipfile
path, members = sys.argv[1], sys.argv[2:]
def info(fn):
    if fn.endswith(".zip"):
        with zipfile.ZipFile(fn) as z:
            return z.read("__HDF5Vault_info__").decode()
    import h5py
    with h5py.File(fn, "r") as f:
        return f.attrs["__HDF5Vault_info__"]
p = json.loads(info(members[0]))[path][0]
fn = members[p["archive_number"]]
if fn.endswith(".zip"):
    with zipfile.ZipFile(fn) as z:
        i = z.getinfo(p["dataset"])
    with open(fn, "rb") as f:
        f.seek(i.header_offset)
        n, m = struct.unpack("<HH", f.read(30)[26:30])
    print(fn, i.header_offset + 30 + n + m, i.compress_size)
else:
    import h5py
    with h5py.File(fn, "r") as f:
        d = f[p["dataset"]]
        print(fn, d.id.get_offset(), d.shape[0])
`

// flipAt xors one byte of a file.
func flipAt(t *testing.T, path string, off int64) {
	t.Helper()
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	b := []byte{0}
	if _, err := fh.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20
	if _, err := fh.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// replaceOnce overwrites the byte at needle+delta in a file holding needle
// exactly once.
func replaceOnce(t *testing.T, path, needle string, delta int, c byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte(needle)); n != 1 {
		t.Fatalf("%s holds %q %d times, want once", path, needle, n)
	}
	b[bytes.Index(b, []byte(needle))+delta] = c
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copySet copies the members of a set into a new directory.
func copySet(t *testing.T, members []string) (dir string, copies []string) {
	t.Helper()
	dir = t.TempDir()
	for _, m := range members {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		c := filepath.Join(dir, filepath.Base(m))
		if err := os.WriteFile(c, b, 0o644); err != nil {
			t.Fatal(err)
		}
		copies = append(copies, c)
	}
	return dir, copies
}

// readCmds runs every read command on a set and checks each result; want
// maps command to exit code, and every message must hold all of names.
// unpack and cat must leave nothing under a real name.
func readCmds(t *testing.T, src string, set []string, catPath string, want map[string]int, names ...string) {
	t.Helper()
	for _, cmd := range []string{"verify", "ls", "cat", "check", "unpack"} {
		code, ok := want[cmd]
		if !ok {
			continue
		}
		dest := filepath.Join(t.TempDir(), "dest")
		var args []string
		switch cmd {
		case "cat":
			args = []string{"cat", "-p", catPath}
		case "check":
			args = []string{"check", "-d", src}
		case "unpack":
			args = []string{"unpack", "-j", "1", "-d", dest}
		default:
			args = []string{cmd}
		}
		r := runBin(t, append(args, set...)...)
		if cmd == "cat" {
			r.stdout = "" // the file's bytes, not a message
		}
		wantFail(t, cmd, r, code, names...)
		if cmd == "unpack" {
			files := sourceFiles(t, src)
			if _, err := os.Stat(dest); err == nil {
				for _, e := range listDir(t, dest) {
					onlyCompleteFiles(t, filepath.Join(dest, e), files)
					if _, err := os.Stat(filepath.Join(dest, e, catPath)); err == nil {
						t.Errorf("unpack wrote the damaged file %s", catPath)
					}
				}
			}
		}
	}
}

// TestFaultDamagedArchives: truncated members, a flipped payload byte, a
// flipped index byte and a missing member, for every read command, for
// HDF5 and zip sets written by create.
func TestFaultDamagedArchives(t *testing.T) {
	t.Parallel()
	src := copyFixtureTree(t)
	out := t.TempDir()
	sets := map[string][]string{}
	for _, kind := range []string{"h5", "zip"} {
		base := filepath.Join(out, kind)
		args := []string{"create", "-q", "-w", "3", "-s", "200000", src, base}
		if kind == "zip" {
			args = append(args, "-z")
		}
		mustRun(t, args...)
		for n := range 3 {
			sets[kind] = append(sets[kind], fmt.Sprintf("%s_%d.%s", base, n, kind))
		}
	}
	// Damage is exit 3 for every command; an incomplete set (a member not
	// there, members that disagree) is a failure to open it, exit 1.
	damaged := map[string]int{"verify": 3, "ls": 3, "cat": 3, "check": 3, "unpack": 3}
	all := map[string]int{"verify": 1, "ls": 1, "cat": 1, "check": 1, "unpack": 1}

	for kind, set := range sets {
		t.Run("truncated "+kind, func(t *testing.T) {
			whole, err := os.ReadFile(set[1])
			if err != nil {
				t.Fatal(err)
			}
			for i, keep := range []int{0, 100, 2000, len(whole) / 2, len(whole) - 1} {
				if testing.Short() && i%2 == 1 {
					continue // -short: every other length; .ci/run tries them all
				}
				_, c := copySet(t, set)
				os.WriteFile(c[1], whole[:keep], 0o644)
				readCmds(t, src, c, "tiny.txt", damaged, filepath.Base(c[1]))
			}
		})

		t.Run("payload byte "+kind, func(t *testing.T) {
			_, c := copySet(t, set)
			victim := "Images/A02/Zelle ü 1.txt"
			file, off, size := locatePart(t, victim, c)
			flipAt(t, file, off+size/2)
			readCmds(t, src, c, victim, map[string]int{"verify": 3, "cat": 3, "check": 3, "unpack": 3}, victim)
			if r := runBin(t, append([]string{"ls"}, c...)...); r.code != 0 || !strings.Contains(r.stdout, victim) {
				t.Errorf("ls needs no payload, yet: exit %d\n%s", r.code, r.stderr)
			}
		})

		t.Run("missing member "+kind, func(t *testing.T) {
			_, c := copySet(t, set)
			os.Remove(c[1])
			readCmds(t, src, []string{strings.TrimSuffix(c[0], "_0."+kind)}, "tiny.txt", all, "missing member", filepath.Base(c[1]))
			readCmds(t, src, []string{c[0], c[2]}, "tiny.txt", all, "missing member", filepath.Base(c[1]))
		})
	}

	// The JSON index: a zip member's CRC catches any flip. HDF5 readers of
	// our sets read the side index instead (sideindex_test.go), so a
	// damaged JSON stops none of them; verify finds it, as the original's
	// readers need it.
	t.Run("index byte zip", func(t *testing.T) {
		_, c := copySet(t, sets["zip"])
		replaceOnce(t, c[0], `"tiny.txt": [{`, 11, 'x')
		readCmds(t, src, c, "tiny.txt", damaged, filepath.Base(c[0]), archive.AttrInfo)
	})
	single := filepath.Join(out, "one")
	mustRun(t, "create", "-q", "-w", "1", src, single)
	for name, set := range map[string][]string{"h5 set": sets["h5"], "h5": {single + ".h5"}} {
		t.Run("index structure "+name, func(t *testing.T) {
			_, c := copySet(t, set)
			replaceOnce(t, c[0], `"tiny.txt": [{`, 11, 'x')
			readsWell(t, src, c, "tiny.txt")
			wantFail(t, "verify", runBin(t, append([]string{"verify"}, c...)...), 3, filepath.Base(c[0]), archive.AttrInfo)
		})
	}
}

// edgeTree writes names and sizes that stress the format: empty files, the
// chunk size and one byte more (at -s 4096), a 200-level deep path, white
// space, newlines, non-ASCII, names that look like dataset suffixes, and
// twins whose dataset names differ only by a suffix.
func edgeTree(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "edge")
	data := func(n, seed int) []byte {
		b := make([]byte, n)
		x := uint32(seed)
		for i := range b {
			x = x*1664525 + 1013904223
			b[i] = byte(x>>26) + 'a'
		}
		return b
	}
	noise := func(n, seed int) []byte { // incompressible: stored raw
		b := make([]byte, n)
		x := uint64(seed)
		for i := range b {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			b[i] = byte(x >> 32)
		}
		return b
	}
	deep := "deep"
	for i := range 200 {
		deep += fmt.Sprintf("/l%03d", i)
	}
	files := map[string][]byte{
		"empty.dat":                       nil,
		"sub/also empty":                  nil,
		"exact.bin":                       data(4096, 1),
		"plus1.bin":                       data(4097, 2),
		"sub/three parts.bin":             data(2*4096+1, 3),
		deep + "/leaf.txt":                []byte("at the bottom\n"),
		"with space.txt":                  []byte("space"),
		"new\nline.txt":                   []byte("newline"),
		"tab\there.txt":                   []byte("tab"),
		"Zelle ü 1.txt":                   data(100, 4),
		"Mikroskop 🔬/Zelle 🧫.tif":         data(5000, 5),
		"name.blosc2":                     data(300, 6),
		"a____part0 b.txt":                data(50, 7),
		"c":                               noise(5000, 8), // split: c____part0, c____part1
		"c____part0":                      noise(60, 9),   // same dataset name as c's first part
		"b.blosc2":                        data(70, 10),   // file b.blosc2.blosc2 beside group b
		"b/inner.txt":                     data(80, 11),
		"name.blosc2.blosc2":              data(90, 12),
		"\u00e9t\u00e9/caf\u00e9.txt":     data(10, 13), // NFC
		"e\u0301te\u0301/cafe\u0301.txt":  data(11, 14), // NFD: a different name
		`back\slash\dir/c:\x.txt`:         data(12, 15), // backslashes are ordinary bytes
		strings.Repeat("n", 251) + ".tif": data(13, 16), // the longest name Linux allows
		strings.Repeat("s", 255) + "/" + strings.Repeat("l", 248) + ".blosc2": data(14, 17),
	}
	for rel, b := range files {
		p := filepath.Join(src, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// TestFaultEdgeTrees round-trips the edge tree through create, verify,
// unpack (byte compare) and check, as HDF5 (also read back with h5py) and
// as zip.
func TestFaultEdgeTrees(t *testing.T) {
	t.Parallel()
	src := edgeTree(t)
	before := treeState(t, src)
	for _, zip := range []bool{false, true} {
		t.Run(fmt.Sprint("zip=", zip), func(t *testing.T) {
			out := t.TempDir()
			args := []string{"-w", "2", "-s", "4096"}
			if zip {
				args = append(args, "-z")
			}
			cleanRun(t, src, out, "edge", args...)
			if !zip {
				verifySet(t, src, []string{filepath.Join(out, "edge_0.h5"), filepath.Join(out, "edge_1.h5")}, true, 4096)
			}
		})
	}
	sameState(t, before, treeState(t, src))

	// One archive file cannot hold both c's first part and c____part0.
	out := t.TempDir()
	r := runBin(t, "create", "-q", "-w", "1", "-s", "4096", src, filepath.Join(out, "one"))
	wantFail(t, "twins in one archive file", r, 1, `dataset name "c____part0" equals that of`,
		filepath.Join(src, "c"), "in every archive file", "use more writers (-w)")
	noArchive(t, out, "one", true)

	// A file whose dataset name is a sibling directory's group name is refused.
	clash := filepath.Join(t.TempDir(), "clash")
	os.MkdirAll(filepath.Join(clash, "p.tif.blosc2"), 0o755)
	os.WriteFile(filepath.Join(clash, "p.tif"), []byte("file"), 0o644)
	os.WriteFile(filepath.Join(clash, "p.tif.blosc2", "q.txt"), []byte("in the dir"), 0o644)
	for _, zip := range []string{"", "-z"} {
		args := []string{"create", "-q", clash, filepath.Join(out, "clash")}
		if zip != "" {
			args = append(args, zip)
		}
		r := runBin(t, args...)
		wantFail(t, "file/directory clash "+zip, r, 1, "p.tif", "p.tif.blosc2")
		noArchive(t, out, "clash", true)
	}

	// Names no archive path can carry are refused up front, by name.
	// (A backslash is an ordinary byte: the edge tree archives one.)
	for _, name := range []string{"bad\xff.txt"} {
		dir := filepath.Join(t.TempDir(), "src")
		os.Mkdir(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "fine.txt"), []byte("fine"), 0o644)
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runBin(t, "create", "-q", dir, filepath.Join(out, "names"))
		wantFail(t, fmt.Sprintf("file name %q", name), r, 1, filepath.Join(dir, name), "cannot be an archive path")
		noArchive(t, out, "names", true)
	}
}

// TestFaultEditedInPlace: a file written in place while create reads it,
// its modification time then put back (pwrite, touch -d @old), fails the run
// naming the file. The budget holds one 1 MiB part in flight, so while the
// archive holds less than half the file, the reader is far from its last
// part and its check after the last byte is still to come: no race.
func TestFaultEditedInPlace(t *testing.T) {
	src := t.TempDir()
	p := filepath.Join(src, "big.bin")
	if err := os.WriteFile(p, noise(48<<20, 3), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, threads string }{
		{"mapped", "1"}, // parts of 1 MiB are mapped
		{"read", "2"},   // blocks compressed on other threads: parts are read
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			cmd, errb := startCreate(t, src, out, "edit", 2<<20, "-s", "1MiB", "-t", tc.threads)
			before, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.WriteAt([]byte("edited in place"), 100) // a part already stored
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, before.ModTime(), before.ModTime()); err != nil {
				t.Fatal(err)
			}
			if stored := tempBytes(t, out); stored > 12<<20 {
				t.Fatalf("the archive already holds %d bytes: the edit may have come after the read", stored)
			}
			if code := exitOf(cmd.Wait()); code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, errb.String())
			}
			if msg := errb.String(); !strings.Contains(msg, p) || !strings.Contains(msg, "changed while being read") {
				t.Errorf("the message does not name %s and its cause:\n%s", p, msg)
			}
			noArchive(t, out, "edit", true)
		})
	}
}

// noise is n bytes of 6-bit pseudo-random values: compressible, but slowly.
func noise(n int, seed uint32) []byte {
	b := make([]byte, n)
	x := seed
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x>>24) & 0x3f
	}
	return b
}

// tempBytes is the size of the temporary archive files in dir.
func tempBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	_, temp := finalNames(t, dir, "")
	for _, name := range temp {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n
}
