package setwriter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

func TestShardMembers(t *testing.T) {
	var all []int
	for k := range 4 {
		m := ShardMembers(k, 4, 8)
		if len(m) != 2 || m[0] != 2*k {
			t.Errorf("shard %d of 4, 8 files: %v", k, m)
		}
		all = append(all, m...)
	}
	if len(all) != 8 {
		t.Errorf("members %v", all)
	}
}

// TestShardRecordKeepsFiles: a finished shard's files outlive its process
// (their pid is gone) until seal: the stale-file sweep of the next run in
// the directory leaves them, and removes those of a shard that never
// finished.
func TestShardRecordKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	dead := 1 << 22 // no such pid
	tok := tempfile.Host() + "-" + itoa(dead) + "-0000abcd"
	kept := archive.TempName(filepath.Join(dir, "p_0.h5"), tok)
	gone := archive.TempName(filepath.Join(dir, "p_1.h5"), tempfile.Host()+"-"+itoa(dead)+"-0000abce")
	os.WriteFile(kept, []byte("x"), 0o644)
	os.WriteFile(gone, []byte("x"), 0o644)
	rec, _ := json.Marshal(ShardRecord{Shard: 0, Shards: 2, Writers: 2, State: ShardDone, Token: tok, Members: []int{0}, Sizes: []int64{1}})
	os.WriteFile(recordPath(dir, "p", 0), rec, 0o644)
	s, err := Open(Options{Base: filepath.Join(dir, "other"), Writers: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.Abort()
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("a finished shard's file was removed: %v", err)
	}
	if _, err := os.Stat(gone); err == nil {
		t.Error("an unfinished shard's file was kept")
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestParseShardRecordRefuses(t *testing.T) {
	ok := ShardRecord{Shard: 1, Shards: 2, Writers: 4, State: ShardDone, Token: "h-1-ab", Members: []int{2, 3}, Sizes: []int64{1, 2}}
	b, _ := json.Marshal(ok)
	if _, err := ParseShardRecord(b); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(r *ShardRecord){
		"shard out of range": func(r *ShardRecord) { r.Shard = 2 },
		"writers":            func(r *ShardRecord) { r.Writers = 3 },
		"members":            func(r *ShardRecord) { r.Members = []int{0, 1} },
		"state":              func(r *ShardRecord) { r.State = "x" },
		"sizes":              func(r *ShardRecord) { r.Sizes = nil },
		"token":              func(r *ShardRecord) { r.Token = "../x" },
	} {
		r := ok
		mut(&r)
		b, _ := json.Marshal(r)
		if _, err := ParseShardRecord(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseShardRecord(f *testing.F) {
	f.Add([]byte(`{"shard":1,"shards":2,"writers":4,"state":"done","token":"h-1-ab","members":[2,3],"sizes":[1,2]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseShardRecord(b)
		if err != nil {
			return
		}
		for _, m := range r.Members {
			if m < 0 || m >= r.Writers {
				t.Fatalf("member %d of %d accepted", m, r.Writers)
			}
		}
		if strings.ContainsAny(r.Token, "/\x00") {
			t.Fatalf("token %q accepted", r.Token)
		}
	})
}
