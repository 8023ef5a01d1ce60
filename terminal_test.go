package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// pane is a detached tmux session of a fixed size running one command: a
// real terminal whose screen the test reads back.
type pane struct {
	t    *testing.T
	sock string
	cols int
}

// newPane starts shell in a cols x rows tmux window of its own server.
// The shell line ends by printing EXIT=<status> and then waits, so the
// final screen stays to be read.
func newPane(t *testing.T, cols, rows int, shell string) *pane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (make deps installs it)")
	}
	p := &pane{t: t, sock: filepath.Join(t.TempDir(), "tmux"), cols: cols}
	line := shell + "; echo EXIT=$?; sleep 86400"
	p.tmux("-f", "/dev/null", "new-session", "-d", "-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), line)
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })
	if w := strings.TrimSpace(p.tmux("display-message", "-p", "#{pane_width}")); w != fmt.Sprint(cols) {
		t.Fatalf("the pane is %s columns wide, want %d", w, cols)
	}
	return p
}

func (p *pane) tmux(args ...string) string {
	p.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", p.sock}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// screen is the pane's visible lines, wrapped lines joined into one
// (capture-pane -J), trailing blanks and empty lines dropped.
func (p *pane) screen() []string {
	var lines []string
	for _, l := range strings.Split(p.tmux("capture-pane", "-p", "-J"), "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// watch reads the screen until the command has ended, checking every
// screen before done(screen) says the command's own summary has begun:
// besides the command's notes (lines beginning "hdf5vault: skipping"),
// at most one line (the bar), never wider than the pane (so never
// wrapped). It returns the final screen and how many bars it saw.
func (p *pane) watch(done func([]string) bool) (final []string, bars int) {
	p.t.Helper()
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s := p.screen()
		if len(s) > 0 && strings.HasPrefix(s[len(s)-1], "EXIT=") {
			return s, bars
		}
		for len(s) > 0 && strings.HasPrefix(s[0], note) {
			s = s[1:]
		}
		if done(s) {
			continue
		}
		if len(s) > 1 {
			p.t.Fatalf("%d columns: stale lines beside the bar:\n%s", p.cols, strings.Join(s, "\n"))
		}
		if len(s) == 1 {
			bars++
			if n := utf8.RuneCountInString(s[0]); n > p.cols {
				p.t.Fatalf("%d columns: a bar of %d columns wrapped: %q", p.cols, n, s[0])
			}
		}
	}
	p.t.Fatalf("%d columns: the command did not end:\n%s", p.cols, strings.Join(p.screen(), "\n"))
	return nil, 0
}

// note begins the warnings create prints while the bar runs.
const note = "hdf5vault: skipping "

func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestTerminalBarFits: in a real terminal (tmux) of 40 and 120 columns,
// create's and unpack's bars, redrawn every 2 ms, never wrap and leave no
// stale line; the final screen is the command's summary alone. (A 40-column
// pane broke the bar before it was fitted to the width.)
func TestTerminalBarFits(t *testing.T) {
	src := genTree(t, 40) // 40 fields and 2 sidecar files
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err) // skipped with a warning printed while the bar runs
	}
	_, set := progressSet(t)
	env := "env " + progressIntervalEnv + "=2ms "
	for _, cols := range []int{40, 120} {
		if cols > 40 && testing.Short() {
			break // the narrow pane is the one that broke; -short keeps the run short
		}
		t.Run(fmt.Sprintf("create %d columns", cols), func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "acq")
			p := newPane(t, cols, 30, env+shq(readBin)+" create -c 9 -j 1 -w 2 --max-memory 2MiB "+shq(src)+" "+shq(base))
			final, bars := p.watch(func(s []string) bool { return len(s) > 0 && strings.HasPrefix(s[0], "hdf5vault: archived") })
			if final[0] != note+"fifo: not a regular file (fifo)" {
				t.Fatalf("the warning is not on a line of its own:\n%s", strings.Join(final, "\n"))
			}
			final = final[1:]
			if !strings.HasPrefix(final[0], "hdf5vault: archived 42 files (42 parts) from "+src) || final[len(final)-1] != "EXIT=0" {
				t.Fatalf("final screen:\n%s", strings.Join(final, "\n"))
			}
			for _, l := range final[1 : len(final)-1] {
				if !strings.HasPrefix(l, "  ") {
					t.Errorf("not a summary line: %q in\n%s", l, strings.Join(final, "\n"))
				}
			}
			if bars == 0 {
				t.Errorf("no bar seen")
			}
		})
		t.Run(fmt.Sprintf("unpack %d columns", cols), func(t *testing.T) {
			dest := t.TempDir()
			p := newPane(t, cols, 30, env+shq(readBin)+" unpack -d "+shq(dest)+" "+shq(set))
			final, bars := p.watch(func(s []string) bool { return len(s) > 0 && strings.HasPrefix(s[0], "unpacked ") })
			if len(final) != 2 || !strings.HasPrefix(final[0], "unpacked 1500 files (384000 bytes) into "+dest) || final[1] != "EXIT=0" {
				t.Fatalf("final screen:\n%s", strings.Join(final, "\n"))
			}
			if bars == 0 {
				t.Errorf("no bar seen")
			}
		})
	}
}
