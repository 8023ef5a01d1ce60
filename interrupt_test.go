package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCreateInterruptSaysWhatIsLeft: Ctrl-C (SIGINT) mid-run exits 130 and
// says what is left, as found on disk after the abort: nothing, the
// temporary files removed; with --json FILE, no archive but the failed
// run's summary.
func TestCreateInterruptSaysWhatIsLeft(t *testing.T) {
	src := genTree(t, 120)
	for _, withJSON := range []bool{false, true} {
		out := t.TempDir()
		var extra []string
		want := "hdf5vault: interrupted: interrupt signal received; nothing written; temporary files removed\n"
		js := filepath.Join(t.TempDir(), "run.json")
		if withJSON {
			extra = []string{"--json", js}
			want = "hdf5vault: interrupted: interrupt signal received; no archive written; temporary files removed; " +
				`the run's summary ("complete": false) is in ` + js + "\n"
		}
		cmd, errb := startCreate(t, src, out, "acq", 1<<20, extra...)
		cmd.Process.Signal(os.Interrupt)
		if code := exitOf(cmd.Wait()); code != 130 {
			t.Fatalf("exit %d after SIGINT, want 130 (did the run finish first?)\n%s", code, errb.String())
		}
		if got := errb.String(); got != want {
			t.Errorf("--json %v: stderr\n%q\nwant\n%q", withJSON, got, want)
		}
		noArchive(t, out, "acq", true)
		if got := listDir(t, out); len(got) != 0 {
			t.Errorf("left in the destination: %q", got)
		}
		if withJSON {
			b, err := os.ReadFile(js)
			if err != nil || !strings.Contains(string(b), `"complete": false`) {
				t.Errorf("the failed run's summary: %v\n%s", err, b)
			}
		}
	}
}

// TestUnpackInterruptSaysWhatIsLeft: Ctrl-C mid-unpack exits 130 and says
// how many files were restored, which is what DEST holds: each of them
// complete, and no temporary file.
func TestUnpackInterruptSaysWhatIsLeft(t *testing.T) {
	src := genTree(t, 120)
	base := filepath.Join(t.TempDir(), "acq")
	if r := runBin(t, "create", "-q", "-c", "1", src, base); r.code != exitOK {
		t.Fatalf("create: exit %d\n%s", r.code, r.stderr)
	}
	dest := t.TempDir()
	cmd := exec.Command(readBin, "unpack", "-q", "-j", "1", "-d", dest, base)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dest, "acq")
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && len(restored(t, out)) < 3; {
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	code := exitOf(cmd.Wait())
	if code == exitOK {
		t.Skipf("unpack finished before the interrupt arrived\n%s", errb.String())
	}
	m := regexp.MustCompile(`^hdf5vault: interrupted: interrupt signal received; (\d+) of 122 files restored into ` +
		regexp.QuoteMeta(out) + `, each complete and checked; unpack --skip-existing resumes\n$`).FindStringSubmatch(errb.String())
	if code != 130 || m == nil {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	files := restored(t, out)
	if fmt.Sprint(len(files)) != m[1] {
		t.Errorf("it says %s files restored; DEST holds %d: %q", m[1], len(files), files)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".hdf5vault-tmp") {
			t.Errorf("a temporary file is left: %s", f)
		}
		want, _ := os.ReadFile(filepath.Join(src, f))
		if got, err := os.ReadFile(filepath.Join(out, f)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: not the source's bytes (%v)", f, err)
		}
	}
	r := runBin(t, "unpack", "-q", "--skip-existing", "-d", dest, base)
	if r.code != exitOK || len(restored(t, out)) != 122 {
		t.Errorf("resuming: exit %d, %d files\n%s", r.code, len(restored(t, out)), r.stderr)
	}
}

// restored lists the regular files under dir, relative to it.
func restored(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}
