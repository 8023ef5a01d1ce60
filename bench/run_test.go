package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeVault stands in for the hdf5vault binary: create writes W archive
// files of 1000 bytes in all (BASE.h5 or BASE_<n>.h5) and logs its command
// line, unpack copies $FAKE_SRC into DEST/archive, verify fails with exit 3
// when $FAKE_VERIFY_FAILS is set.
const fakeVault = `#!/bin/sh
echo "$@" >> "$FAKE_LOG"
case "$1" in
create)
	base=$3; w=1
	while [ $# -gt 0 ]; do [ "$1" = -w ] && w=$2; shift; done
	if [ "$w" = 1 ]; then head -c 1000 /dev/zero > "$base.h5"; exit 0; fi
	i=0; while [ $i -lt $w ]; do head -c $((1000 / w)) /dev/zero > "${base}_$i.h5"; i=$((i+1)); done ;;
unpack)
	mkdir "$3/archive" && cp -R "$FAKE_SRC"/. "$3/archive/" && [ -z "$FAKE_UNPACK_DROPS" ] || rm "$3/archive/a" ;;
verify)
	if [ -n "$FAKE_VERIFY_FAILS" ]; then echo "hdf5vault: verify: archive.h5: 1 damaged payload" >&2; exit 3; fi ;;
esac
`

func fakeRunner(t *testing.T) (*Runner, string) {
	t.Helper()
	dir := t.TempDir()
	exe := filepath.Join(dir, "hdf5vault")
	if err := os.WriteFile(exe, []byte(fakeVault), 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "a"), make([]byte, 3000), 0o644)
	os.WriteFile(filepath.Join(src, "sub", "b"), make([]byte, 1000), 0o644)
	log := filepath.Join(dir, "log")
	t.Setenv("FAKE_SRC", src)
	t.Setenv("FAKE_LOG", log)
	work := filepath.Join(dir, "work")
	tree, err := TreeStats(src)
	if err != nil || tree != (Stats{2, 4000}) {
		t.Fatalf("TreeStats %+v %v", tree, err)
	}
	return &Runner{Exe: exe, Src: src, Work: work, Tree: tree}, log
}

func TestRunnerMeasuresEachCommand(t *testing.T) {
	r, log := fakeRunner(t)
	for i, w := range []int{1, 4} {
		rs, err := r.Run(context.Background(), Setting{"zstd", 8, 2, w}, i)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 3 || rs[0].Op != OpCreate || rs[1].Op != OpUnpack || rs[2].Op != OpVerify {
			t.Fatalf("results %+v", rs)
		}
		for _, res := range rs {
			// 4000 source bytes in 1000 archive bytes, whichever the writers.
			if res.Err != "" || res.Ratio() != 4 || res.Files != 2 || res.Wall <= 0 || res.PeakRSS <= 0 {
				t.Errorf("w%d %s: %+v", w, res.Op, res)
			}
		}
	}
	b, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[3], "create "+r.Src+" ") || !strings.Contains(lines[3], "-w 4") ||
		!strings.HasPrefix(lines[4], "unpack -d ") || !strings.HasPrefix(lines[5], "verify ") {
		t.Errorf("command lines:\n%s", b)
	}
	if left, _ := os.ReadDir(r.Work); len(left) != 0 {
		t.Errorf("work directory not cleaned: %v", left)
	}
}

// TestRunnerCreate: Create runs create only, measures it and cleans up.
func TestRunnerCreate(t *testing.T) {
	r, log := fakeRunner(t)
	res, err := r.Create(context.Background(), Setting{"zstd", 8, 2, 2}, 7)
	if err != nil {
		t.Fatal(err)
	}
	if res.Op != OpCreate || res.Err != "" || res.Ratio() != 4 || res.Wall <= 0 {
		t.Errorf("result %+v", res)
	}
	b, _ := os.ReadFile(log)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "create ") {
		t.Errorf("command lines:\n%s", b)
	}
	if left, _ := os.ReadDir(r.Work); len(left) != 0 {
		t.Errorf("work directory not cleaned: %v", left)
	}
}

func TestRunnerReportsFailures(t *testing.T) {
	r, _ := fakeRunner(t)
	t.Setenv("FAKE_VERIFY_FAILS", "1")
	t.Setenv("FAKE_UNPACK_DROPS", "1")
	rs, err := r.Run(context.Background(), Setting{"lz4", 1, 1, 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[0].Err != "" {
		t.Fatalf("results %+v", rs)
	}
	if !strings.Contains(rs[1].Err, "restored 1 files, 1000 bytes; the source has 2 files, 4000 bytes") {
		t.Errorf("short unpack not caught: %q", rs[1].Err)
	}
	if rs[2].Err != "exit status 3: hdf5vault: verify: archive.h5: 1 damaged payload" {
		t.Errorf("verify failure %q", rs[2].Err)
	}
}

func TestRunnerCreateWithoutArchive(t *testing.T) {
	r, _ := fakeRunner(t)
	// A create that exits 0 but writes nothing is a failure, and nothing else runs.
	os.WriteFile(r.Exe, []byte("#!/bin/sh\necho \"$@\" >> \"$FAKE_LOG\"\n"), 0o755)
	rs, err := r.Run(context.Background(), Setting{"zstd", 8, 1, 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || !strings.Contains(rs[0].Err, "no archive file") {
		t.Errorf("results %+v", rs)
	}
}

func TestRunnerStopsWhenCancelled(t *testing.T) {
	r, _ := fakeRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Run(ctx, Setting{"zstd", 8, 1, 1}, 0); err != context.Canceled {
		t.Errorf("Run after cancel: %v", err)
	}
}

func TestTreeStatsSkipsSymlinks(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), make([]byte, 10), 0o644)
	os.Symlink("f", filepath.Join(dir, "link"))
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	if st, err := TreeStats(dir); err != nil || st != (Stats{1, 10}) {
		t.Errorf("TreeStats %+v %v", st, err)
	}
	if _, err := TreeStats(filepath.Join(dir, "missing")); err == nil {
		t.Error("TreeStats of a missing directory succeeded")
	}
}
