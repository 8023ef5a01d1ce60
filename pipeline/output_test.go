package pipeline

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

func touch(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(t *testing.T, dir string) string {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return strings.Join(n, " ")
}

func TestOutputNamesAndTemps(t *testing.T) {
	dir := t.TempDir()
	o, err := NewOutput(filepath.Join(dir, "run"), 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(o.Final[0]) != "run_00.h5" || filepath.Base(o.Final[9]) != "run_09.h5" {
		t.Fatalf("final %q", o.Final)
	}
	for i, tmp := range o.Temp {
		if filepath.Dir(tmp) != dir || !archive.IsTempName(filepath.Base(tmp)) || !strings.HasPrefix(filepath.Base(tmp), "."+filepath.Base(o.Final[i])+".") {
			t.Fatalf("temp %q for %q", tmp, o.Final[i])
		}
	}
	if _, err := NewOutput(filepath.Join(dir, "missing", "run"), 1, false); err == nil {
		t.Fatal("a missing archive directory was accepted")
	}
}

func TestOutputRefusesAndForces(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"run_0.h5", "run_1.h5", "run_2.h5", "run_3.h5", "other.h5", "run_7.zip"} {
		touch(t, filepath.Join(dir, n))
	}
	o, _ := NewOutput(filepath.Join(dir, "run"), 2, false)
	var notes []string
	note := func(s string) { notes = append(notes, s) }
	if err := o.Prepare(false, note); err == nil || !strings.Contains(err.Error(), "run_0.h5") {
		t.Fatalf("err = %v", err)
	}
	notes = nil
	o, _ = NewOutput(filepath.Join(dir, "run"), 2, false)
	if err := o.Prepare(true, note); err != nil {
		t.Fatal(err)
	}
	for _, tmp := range o.Temp {
		touch(t, tmp)
	}
	if err := o.Commit(); err != nil {
		t.Fatal(err)
	}
	// run_2/run_3 belonged to the older 4-file set; run_7.zip has no member 0
	// beside it (the single file of base "run_7"?) and is left alone.
	if got := names(t, dir); got != "other.h5 run_0.h5 run_1.h5 run_7.zip" {
		t.Fatalf("after commit: %s", got)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "run_7.zip") {
		t.Fatalf("notes %q", notes)
	}
}

func TestOutputStaleTemps(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	host = strings.NewReplacer("-", "_", "/", "_").Replace(host) // as in temp names
	dead := exec.Command("true")
	dead.Run()
	final := filepath.Join(dir, "run.h5")
	stale := archive.TempName(final, fmt.Sprintf("%s-%d-00000000", host, dead.Process.Pid))
	foreign := archive.TempName(final, fmt.Sprintf("otherhost-%d-00000000", os.Getpid()))
	unrelated := archive.TempName(filepath.Join(dir, "else.h5"), fmt.Sprintf("%s-%d-00000000", host, dead.Process.Pid))
	for _, p := range []string{stale, foreign, unrelated} {
		touch(t, p)
	}
	o, _ := NewOutput(filepath.Join(dir, "run"), 1, false)
	var notes []string
	if err := o.Prepare(false, func(s string) { notes = append(notes, s) }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temp of a dead pid not removed")
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Error("temp of another host removed")
	}
	if _, err := os.Stat(unrelated); err != nil {
		t.Error("temp of another base removed")
	}
	if len(notes) != 2 {
		t.Errorf("notes %q", notes)
	}
	// A live owner on this host (this test's own pid) is an error.
	live := archive.TempName(final, fmt.Sprintf("%s-%d-00000000", host, os.Getpid()))
	touch(t, live)
	o, _ = NewOutput(filepath.Join(dir, "run"), 1, false)
	if err := o.Prepare(true, func(string) {}); err == nil || !strings.Contains(err.Error(), "another run") {
		t.Fatalf("err = %v", err)
	}
}

func TestOutputExclude(t *testing.T) {
	dir := t.TempDir()
	o, _ := NewOutput(filepath.Join(dir, "run"), 2, false)
	for name, want := range map[string]bool{
		"run_0.h5": true, "run_1.h5": true, "run.h5": true, "run_05.zip": true,
		filepath.Base(o.Temp[0]): true, "run_0.h5.txt": false, "running.h5": false, "data.tif": false,
	} {
		if got := o.Exclude(dir, name); got != want {
			t.Errorf("Exclude(%q) = %v", name, got)
		}
		if o.Exclude(t.TempDir(), name) {
			t.Errorf("Exclude(%q) in another directory", name)
		}
	}
}

func TestProgressLine(t *testing.T) {
	c := counts{}
	c.set(100, 1<<20, true)
	c.done = 1 << 19
	l := c.line(c.start.Add(2_000_000_000))
	for _, want := range []string{"512.0 KiB of 1.0 MiB", "100 files", "50.0%", "256.0 KiB/s", "ETA 2s"} {
		if !strings.Contains(l, want) {
			t.Errorf("line %q lacks %q", l, want)
		}
	}
	if c.set(5, 10, false) || c.total != 1<<20 {
		t.Error("a running count replaced the final total")
	}
}
