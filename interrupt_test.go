package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
