package bench

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestScaleRunsEachJobBesideTar: every job runs on both sides in turn, cat's
// output is compared with the file, tar's unpack is counted like ours.
func TestScaleRunsEachJobBesideTar(t *testing.T) {
	if ok, missing := HaveTar(); !ok {
		t.Skipf("%s not installed", missing)
	}
	r, log := fakeRunner(t)
	var seen []Result
	rs, err := r.Scale(context.Background(), Setting{"zstd", 8, 2, 2}, true, 1, func(res Result) { seen = append(seen, res) })
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, res := range rs {
		side := "vault"
		if res.Setting == TarSetting {
			side = "tar"
		}
		got = append(got, side+" "+res.Op)
		// The fake's cat writes nothing: not the file's bytes.
		if wantErr := side == "vault" && res.Op == OpCat; (res.Err != "") != wantErr {
			t.Errorf("%s %s: error %q", side, res.Op, res.Err)
		}
		if res.Err == "" && (res.Wall <= 0 || res.PeakRSS <= 0 || res.Stored <= 0 && res.Op != OpCat) {
			t.Errorf("%s %s: %+v", side, res.Op, res)
		}
	}
	want := "vault create,tar create,vault ls,tar ls,vault ls -l,tar ls -l,vault cat,tar cat,vault verify,vault unpack,tar unpack"
	if strings.Join(got, ",") != want || len(seen) != len(rs) {
		t.Errorf("jobs %s, want %s (%d reported)", strings.Join(got, ","), want, len(seen))
	}
	if !strings.Contains(rs[6].Err, "cat wrote 0 bytes that are not sub/b's 1000") {
		t.Errorf("cat error %q", rs[6].Err)
	}
	b, _ := os.ReadFile(log)
	if !strings.Contains(string(b), "\ncat -p sub/b ") {
		t.Errorf("command lines:\n%s", b)
	}
	if left, _ := os.ReadDir(r.Work); len(left) != 0 {
		t.Errorf("work directory not cleaned: %v", left)
	}
}

func TestWriteVersus(t *testing.T) {
	rs := []Result{
		{Setting: Setting{"zstd", 8, 2, 2}, Op: OpLs, Files: 100, Wall: 2e9, PeakRSS: 40 << 20},
		{Setting: TarSetting, Op: OpLs, Files: 100, Wall: 1e9, PeakRSS: 8 << 20},
		{Setting: Setting{"zstd", 8, 2, 2}, Op: OpVerify, Files: 100, Wall: 1e9, PeakRSS: 40 << 20},
	}
	var b strings.Builder
	if err := WriteVersus(&b, rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[1]), " ") != "ls 2.00 50 40 1.00 100 8 2.00 5.00 1/1" ||
		strings.Join(strings.Fields(lines[2]), " ") != "verify 1.00 100 40 - - - - - 1" {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestScaleStopsWhenCancelled(t *testing.T) {
	r, log := fakeRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Scale(ctx, Setting{"zstd", 8, 1, 2}, false, 1, func(Result) {}); err != context.Canceled {
		t.Errorf("Scale after cancel: %v", err)
	}
	if b, _ := os.ReadFile(log); len(b) != 0 {
		t.Errorf("commands ran after cancel:\n%s", b)
	}
}

// TestScaleRounds: every round runs every job on archives of its own, and
// each result says which round it is.
func TestScaleRounds(t *testing.T) {
	r, _ := fakeRunner(t)
	rs, err := r.Scale(context.Background(), Setting{"zstd", 8, 2, 2}, false, 3, func(Result) {})
	if err != nil {
		t.Fatal(err)
	}
	// Without tar: create, ls, ls -l, cat, verify, unpack per round.
	if len(rs) != 18 {
		t.Fatalf("%d results, want 18: %+v", len(rs), rs)
	}
	for i, res := range rs {
		if res.Round != i/6 || res.Op != rs[i%6].Op {
			t.Errorf("result %d: round %d op %s", i, res.Round, res.Op)
		}
		if res.Op == OpUnpack && res.Err != "" {
			t.Errorf("round %d unpack: %s", res.Round, res.Err)
		}
	}
	if left, _ := os.ReadDir(r.Work); len(left) != 0 {
		t.Errorf("work directory not cleaned: %v", left)
	}
}

// TestWriteVersusMedians: with several runs a side, the table gives the
// median time and peak RSS of the successful ones, failed runs left out.
func TestWriteVersusMedians(t *testing.T) {
	v := Setting{"zstd", 8, 2, 2}
	rs := []Result{
		{Setting: v, Op: OpCreate, Files: 100, Wall: 9e9, PeakRSS: 30 << 20},
		{Setting: TarSetting, Op: OpCreate, Files: 100, Wall: 1e9, PeakRSS: 8 << 20},
		{Setting: v, Op: OpCreate, Files: 100, Wall: 2e9, PeakRSS: 50 << 20, Round: 1},
		{Setting: TarSetting, Op: OpCreate, Files: 100, Wall: 3e9, PeakRSS: 9 << 20, Round: 1},
		{Setting: v, Op: OpCreate, Files: 100, Wall: 4e9, PeakRSS: 40 << 20, Round: 2},
		{Setting: TarSetting, Op: OpCreate, Files: 100, Wall: 2e9, PeakRSS: 7 << 20, Round: 2, Err: "failed"},
	}
	var b strings.Builder
	if err := WriteVersus(&b, rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	// hdf5vault: median of 2, 4, 9 s and of 30, 40, 50 MiB; tar: the lower
	// middle of its two successful runs, 1 s and 8 MiB.
	if len(lines) != 2 || strings.Join(strings.Fields(lines[1]), " ") != "create 4.00 25 40 1.00 100 8 4.00 5.00 3/2" {
		t.Errorf("table:\n%s", b.String())
	}
}
