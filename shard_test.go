package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/shard"
)

// runShards runs shards 0..n-1 of create SRC BASE at once, as an array would.
func runShards(t *testing.T, src, base string, n int, extra ...string) []runResult {
	t.Helper()
	res := make([]runResult, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"create", src, base, "-q", "--shard", fmt.Sprintf("%d/%d", k, n)}, extra...)
			res[k] = runBin(t, args...)
		}()
	}
	wg.Wait()
	return res
}

func TestShardUsage(t *testing.T) {
	t.Parallel()
	src := genTree(t, 2)
	base := filepath.Join(t.TempDir(), "p")
	for _, args := range [][]string{
		{"--shard", "4/4"},
		{"--shard", "1/0"},
		{"--shard", "x"},
		{"--shard", "0/4", "-w", "6"},
		{"--shard", "0/2", "-z"},
	} {
		r := runBin(t, append([]string{"create", src, base, "-q"}, args...)...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, r.code, r.stderr)
		}
	}
	if r := runBin(t, "create", src, filepath.Join(src, "p"), "--shard", "0/2"); r.code != 2 || !strings.Contains(r.stderr, "inside the source") {
		t.Errorf("archive inside the source: exit %d: %s", r.code, r.stderr)
	}
}

// TestShardSpecSlurm: inside a job array --shard slurm and --shard /N take
// the task id and count; arrays whose ids are not 0..N-1 are refused.
func TestShardSpecSlurm(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	array := func(id, count, lo, hi, step int) map[string]string {
		return map[string]string{"SLURM_ARRAY_TASK_ID": fmt.Sprint(id), "SLURM_ARRAY_TASK_COUNT": fmt.Sprint(count),
			"SLURM_ARRAY_TASK_MIN": fmt.Sprint(lo), "SLURM_ARRAY_TASK_MAX": fmt.Sprint(hi), "SLURM_ARRAY_TASK_STEP": fmt.Sprint(step)}
	}
	for _, tc := range []struct {
		spec   string
		env    map[string]string
		k, n   int
		refuse string
	}{
		{"2/4", nil, 2, 4, ""},
		{"slurm", array(3, 4, 0, 3, 1), 3, 4, ""},
		{"/4", map[string]string{"SLURM_ARRAY_TASK_ID": "2"}, 2, 4, ""},
		{"/4", array(2, 1, 2, 2, 1), 2, 4, ""}, // a rerun: sbatch --array=2
		{"slurm", array(2, 1, 2, 2, 1), 0, 0, "ids 2..2"},
		{"slurm", array(1, 4, 1, 4, 1), 0, 0, "ids 1..4"},
		{"slurm", array(2, 4, 0, 6, 2), 0, 0, "steps of 2"},
		{"slurm", nil, 0, 0, "not set"},
		{"/4", nil, 0, 0, "not set"},
		{"/4", map[string]string{"SLURM_ARRAY_TASK_ID": "4"}, 0, 0, "0..3"},
	} {
		k, n, err := shardSpec(tc.spec, env(tc.env))
		switch {
		case tc.refuse == "" && (err != nil || k != tc.k || n != tc.n):
			t.Errorf("%s %v: %d/%d, %v", tc.spec, tc.env, k, n, err)
		case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse)):
			t.Errorf("%s %v: %v, want an error saying %q", tc.spec, tc.env, err, tc.refuse)
		}
	}
}

// TestShardWritesItsShare: each shard writes its own members of the set
// under temporary names, and a record of its files beside them; the
// shards' files are disjoint and together the whole tree.
func TestShardWritesItsShare(t *testing.T) {
	t.Parallel()
	src := genTree(t, 16)
	out := t.TempDir()
	base := filepath.Join(out, "p")
	for k, r := range runShards(t, src, base, 2, "-w", "4") {
		if r.code != 0 {
			t.Fatalf("shard %d: exit %d: %s", k, r.code, r.stderr)
		}
	}
	recs, err := setwriter.ReadShardRecords(out, "p")
	if err != nil || len(recs) != 2 {
		t.Fatalf("records %v: %v", recs, err)
	}
	seen := map[string]int{}
	for _, r := range recs {
		if r.State != setwriter.ShardDone || len(r.Members) != 2 || r.Members[0] != 2*r.Shard {
			t.Errorf("record of shard %d: %+v", r.Shard, r)
		}
		for i, m := range r.Members {
			fi, err := os.Stat(archive.TempName(filepath.Join(out, archive.FileName("p", m, 4, false)), r.Token))
			if err != nil || fi.Size() != r.Sizes[i] {
				t.Errorf("shard %d: member %d: %v", r.Shard, m, err)
			}
		}
		rec, err := shard.ParseRecord(r.Data, r.Members)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rec.Entries {
			seen[f.Path]++
		}
	}
	for p := range sourceFiles(t, src) {
		if seen[p] != 1 {
			t.Errorf("%s is stored by %d shards", p, seen[p])
		}
	}
	if len(seen) != len(sourceFiles(t, src)) {
		t.Errorf("the shards stored %d files, the tree has %d", len(seen), len(sourceFiles(t, src)))
	}
	for _, n := range listDir(t, out) {
		if archive.IsArchiveName(n) && !archive.IsTempName(n) {
			t.Errorf("%s carries a final name before seal", n)
		}
	}
}
