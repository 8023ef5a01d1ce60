package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/archiveset"
	"github.com/hdf5vault/hdf5vault/bench"
	"github.com/hdf5vault/hdf5vault/jsonl"
)

// setEntries lists a set's files as path, size and checksum, from its side index.
func setEntries(t *testing.T, base string) []string {
	t.Helper()
	s, err := archiveset.OpenArgs(context.Background(), []string{base})
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	defer s.Close()
	var out []string
	if err := s.Side.Each(func(e *archive.Entry) error {
		out = append(out, fmt.Sprintf("%s %d %x", e.Path, e.Size, e.Checksum))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func members(base string, w int) []string {
	var m []string
	for i := range w {
		m = append(m, filepath.Join(filepath.Dir(base), archive.FileName(filepath.Base(base), i, w, false)))
	}
	return m
}

// TestShardSealIsAnOrdinarySet: four shards and seal make a set that h5py
// reads the original's way, that verify and check pass, and that holds the
// same files (paths, sizes, checksums) as one create of the same tree; the
// shards' and seal's --json say what each did; a second seal says the set
// is sealed and exits 0.
func TestShardSealIsAnOrdinarySet(t *testing.T) {
	t.Parallel()
	src := genTree(t, 24)
	out := t.TempDir()
	base := filepath.Join(out, "p")
	var args []string
	for k := range 4 {
		args = append(args, "--json", filepath.Join(out, fmt.Sprintf("shard%d.json", k)))
	}
	res := make([]runResult, 4)
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[k] = runBin(t, "create", src, base, "-q", "--shard", fmt.Sprintf("%d/4", k), args[2*k], args[2*k+1])
		}()
	}
	wg.Wait()
	files := 0
	for k, r := range res {
		if r.code != 0 {
			t.Fatalf("shard %d: exit %d: %s", k, r.code, r.stderr)
		}
		var sum struct {
			Files    int
			Complete bool
			Shard    struct {
				Shard, Shards, Writers int
				Members, Temporary     []string
				Sealed                 bool
			}
		}
		b, _ := os.ReadFile(filepath.Join(out, fmt.Sprintf("shard%d.json", k)))
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatalf("shard %d --json: %v", k, err)
		}
		if sum.Shard.Shard != k || sum.Shard.Shards != 4 || sum.Shard.Writers != 4 || sum.Shard.Sealed || !sum.Complete ||
			len(sum.Shard.Members) != 1 || sum.Shard.Members[0] != members(base, 4)[k] || sum.Files == 0 {
			t.Errorf("shard %d summary: %s", k, b)
		}
		files += sum.Files
	}
	for _, n := range listDir(t, out) {
		if archive.IsArchiveName(n) && !archive.IsTempName(n) {
			t.Fatalf("%s carries a final name before seal", n)
		}
	}
	r := runBin(t, "seal", base, "--json", "-")
	if r.code != 0 {
		t.Fatalf("seal: exit %d: %s", r.code, r.stderr)
	}
	var sum sealJSON
	if err := json.Unmarshal([]byte(lastLine(r.stdout)), &sum); err != nil {
		t.Fatalf("seal --json: %v\n%s", err, r.stdout)
	}
	if sum.Files != int64(files) || len(sum.Shard.Shards) != 4 || len(sum.Archives) != 4 || !sum.Complete || sum.Shard.AlreadySealed || sum.Source != src || sum.Command != "seal" {
		t.Errorf("seal summary: %s", r.stdout)
	}
	for i, a := range sum.Archives {
		if a.Path != members(base, 4)[i] || a.Parts == 0 || a.PayloadBytes == 0 || a.Bytes <= a.PayloadBytes {
			t.Errorf("seal summary, archive %d: %+v", i, a)
		}
	}
	verifySet(t, src, members(base, 4), true, archive.DefaultChunkSize)
	if r := runBin(t, "verify", base); r.code != 0 {
		t.Errorf("verify: exit %d: %s", r.code, r.stderr)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Errorf("check: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	want := []string{"p_0.h5", "p_1.h5", "p_2.h5", "p_3.h5", "shard0.json", "shard1.json", "shard2.json", "shard3.json"}
	if got := listDir(t, out); !slices.Equal(got, want) {
		t.Errorf("after seal the directory holds %q", got)
	}

	one := filepath.Join(t.TempDir(), "one")
	if r := runBin(t, "create", src, one, "-q", "-w", "4"); r.code != 0 {
		t.Fatalf("create: %s", r.stderr)
	}
	if got, want := setEntries(t, base), setEntries(t, one); !slices.Equal(got, want) || len(got) != files {
		t.Errorf("the sealed set holds %d files, one create %d; they differ: %v", len(got), len(want), !slices.Equal(got, want))
	}

	r = runBin(t, "seal", base, "--json", "-")
	var again sealJSON
	json.Unmarshal([]byte(lastLine(r.stdout)), &again)
	if r.code != 0 || !strings.Contains(r.stderr, "already sealed") || !again.Shard.AlreadySealed || !again.Complete {
		t.Errorf("second seal: exit %d: %s %s", r.code, r.stderr, r.stdout)
	}
}

// TestShardSealRefuses: a failed, missing, duplicated or stale shard makes
// seal refuse, naming it and giving no file a final name; rerunning that
// shard replaces its own files only, and then seal succeeds. An existing
// set is replaced only with --force.
func TestShardSealRefuses(t *testing.T) {
	t.Parallel()
	src := genTree(t, 12)
	bad, extra := unreadableFile(t, src)
	out := t.TempDir()
	base := filepath.Join(out, "p")
	failed := -1
	for k, r := range runShards(t, src, base, 4, extra...) {
		if r.code != 0 {
			if failed >= 0 || !strings.Contains(r.stderr, bad) {
				t.Fatalf("shard %d: exit %d: %s", k, r.code, r.stderr)
			}
			failed = k
		}
	}
	if failed < 0 {
		t.Fatal("no shard failed on the unreadable file")
	}
	sealRefuses(t, base, fmt.Sprintf("shard %d failed", failed))

	// Make the file readable at the same path and size: the listing stays.
	os.Remove(filepath.Join(src, bad))
	if err := os.WriteFile(filepath.Join(src, bad), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	before := shardFiles(t, out)
	rerun := func(k int, more ...string) {
		t.Helper()
		args := append([]string{"create", src, base, "-q", "--shard", fmt.Sprintf("%d/4", k)}, extra...)
		if r := runBin(t, append(args, more...)...); r.code != 0 {
			t.Fatalf("rerun of shard %d: exit %d: %s", k, r.code, r.stderr)
		}
	}
	rerun(failed)
	after := shardFiles(t, out)
	for name, mt := range before {
		if after[name] != mt {
			t.Errorf("rerunning shard %d changed %s of another shard", failed, name)
		}
	}

	other := (failed + 1) % 4
	rerun(other, "-c", "5")
	sealRefuses(t, base, fmt.Sprintf("shard %d is stale", other))
	rerun(other)

	rec := func(k int) string { return filepath.Join(out, fmt.Sprintf(".p.shard-%d.hdf5vault-shard", k)) }
	os.Remove(rec(other))
	sealRefuses(t, base, fmt.Sprintf("shard %d of 4 is missing", other))
	rerun(other)

	b, _ := os.ReadFile(rec((other + 1) % 4))
	os.WriteFile(rec(other), b, 0o644)
	sealRefuses(t, base, "duplicated")
	rerun(other)

	if r := runBin(t, "seal", base); r.code != 0 {
		t.Fatalf("seal after the reruns: exit %d: %s", r.code, r.stderr)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Errorf("check: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}

	// Over a set: the shards refuse before any work, as create does,
	// unless --force; seal needs --force too.
	if r := runBin(t, append([]string{"create", src, base, "-q", "--shard", "0/4"}, extra...)...); r.code != 1 || !strings.Contains(r.stderr, "use --force") {
		t.Fatalf("shard over a set: exit %d: %s", r.code, r.stderr)
	}
	for k, r := range runShards(t, src, base, 4, append(extra, "--force")...) {
		if r.code != 0 {
			t.Fatalf("second round, shard %d: %s", k, r.stderr)
		}
	}
	sealRefuses(t, base, "use --force")
	if r := runBin(t, "seal", base, "--force"); r.code != 0 {
		t.Fatalf("seal --force: exit %d: %s", r.code, r.stderr)
	}
	if r := runBin(t, "verify", base); r.code != 0 {
		t.Errorf("verify: %s", r.stderr)
	}
}

// sealRefuses runs seal, which must fail naming what, with no final name.
func sealRefuses(t *testing.T, base, what string) {
	t.Helper()
	had := map[string]bool{}
	for _, m := range members(base, 4) {
		_, err := os.Stat(m)
		had[m] = err == nil
	}
	r := runBin(t, "seal", base)
	if r.code != 1 || !strings.Contains(r.stderr, what) {
		t.Fatalf("seal: exit %d, want 1 naming %q: %s", r.code, what, r.stderr)
	}
	for _, m := range members(base, 4) {
		if _, err := os.Stat(m); (err == nil) != had[m] {
			t.Fatalf("a refused seal changed %s", m)
		}
	}
}

// shardFiles maps each shard file (temporary archive) in dir to its mtime.
func shardFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, n := range listDir(t, dir) {
		if archive.IsTempName(n) {
			fi, err := os.Stat(filepath.Join(dir, n))
			if err == nil {
				out[n] = fi.ModTime().UnixNano()
			}
		}
	}
	return out
}

// sealJSON is what the tests read of seal's --json summary.
type sealJSON struct {
	Command  string
	Source   string
	Files    int64
	Complete bool
	Archives []jsonl.Archive
	Shard    sealInfo
}

func TestSealNothing(t *testing.T) {
	t.Parallel()
	base := filepath.Join(t.TempDir(), "p")
	if r := runBin(t, "seal", base); r.code != 1 || !strings.Contains(r.stderr, "no shards") {
		t.Errorf("seal of nothing: exit %d: %s", r.code, r.stderr)
	}
}

// TestShardsAsPlainProcesses: without Slurm, the README's recipe (xargs
// running four shards at once, then seal) makes a set that check passes.
func TestShardsAsPlainProcesses(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("xargs"); err != nil {
		t.Skip("no xargs")
	}
	src := genTree(t, 16)
	base := filepath.Join(t.TempDir(), "p")
	cmd := exec.Command("sh", "-c", `seq 0 3 | xargs -P4 -I{} "$HV" create "$SRC" "$BASE" -q --shard {}/4 && "$HV" seal "$BASE" --json "$BASE.json"`)
	cmd.Env = append(os.Environ(), "HV="+readBin, "SRC="+src, "BASE="+base)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Errorf("check: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	var sum sealJSON
	if b, err := os.ReadFile(base + ".json"); err != nil || json.Unmarshal(b, &sum) != nil || !sum.Complete || len(sum.Shard.Shards) != 4 {
		t.Errorf("seal --json %s.json: %v %+v", base, err, sum)
	}
}

// TestShardKilled: a shard killed with SIGKILL leaves no record of a
// finished shard: seal refuses naming it; once it is rerun, seal succeeds.
func TestShardKilled(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: archives 48 MB slowly enough to be killed; .ci/run runs it")
	}
	src := filepath.Join(t.TempDir(), "src")
	if _, err := bench.Generate(src, bench.FieldSpec(96, 512<<10, 5)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	base := filepath.Join(out, "p")
	for _, k := range []int{0, 2, 3} {
		if r := runBin(t, "create", src, base, "-q", "-c", "9", "--shard", fmt.Sprintf("%d/4", k)); r.code != 0 {
			t.Fatalf("shard %d: %s", k, r.stderr)
		}
	}
	cmd := exec.Command(readBin, "create", src, base, "-q", "-c", "9", "-j", "1", "--max-memory", "2MiB", "--shard", "1/4")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Kill it once it writes its member.
	deadline := time.Now().Add(2 * time.Minute)
	for writing := false; !writing; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("shard 1 never started writing")
		}
		select {
		case err := <-done:
			t.Fatalf("shard 1 ended (%v) before it could be killed", err)
		default:
		}
		tmp, _ := filepath.Glob(filepath.Join(out, ".p_1.h5.*-"+fmt.Sprint(cmd.Process.Pid)+"-*"))
		for _, p := range tmp {
			if fi, err := os.Stat(p); err == nil && fi.Size() > 1<<20 {
				writing = true
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	sealRefuses(t, base, "shard 1 did not finish")
	if r := runBin(t, "create", src, base, "-q", "-c", "9", "--shard", "1/4"); r.code != 0 {
		t.Fatalf("rerun of shard 1: %s", r.stderr)
	}
	if r := runBin(t, "seal", base); r.code != 0 {
		t.Fatalf("seal: exit %d: %s", r.code, r.stderr)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Errorf("check: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	for _, n := range listDir(t, out) {
		if strings.HasPrefix(n, ".") {
			t.Errorf("%s left after seal", n)
		}
	}
}

// TestSealKilled kills seal (SIGKILL, injected by strace) while it writes
// the index into the shards' files, while it syncs them, as it writes the
// commit journal, and after the journal, at its first rename: the final
// names hold nothing or the whole set (or a journal is there to finish
// the commit), and the next seal finishes the job
// (reindexing files an earlier seal touched, or saying the set is sealed);
// verify and check pass, and nothing is left beside the set.
func TestSealKilled(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: five kill points, each with its own shards; .ci/run runs it")
	}
	strace := needStrace(t)
	src := genTree(t, 8)
	for _, kill := range []struct {
		call string
		n    int
	}{{"pwrite64", 3}, {"pwrite64", 20}, {"fsync", 2}, {"renameat2", 1}, {"renameat2", 2}} {
		out := t.TempDir()
		base := filepath.Join(out, "p")
		for k, r := range runShards(t, src, base, 2, "-w", "4") {
			if r.code != 0 {
				t.Fatalf("shard %d: %s", k, r.stderr)
			}
		}
		inject := fmt.Sprintf("inject=%s:signal=SIGKILL:when=%d", kill.call, kill.n)
		cmd := exec.Command(strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace="+kill.call, "-e", inject, readBin, "seal", base, "--quiet")
		if b, err := cmd.CombinedOutput(); err == nil {
			t.Fatalf("%s: seal was not killed: %s", inject, b)
		}
		finals := 0
		for _, m := range members(base, 4) {
			if _, err := os.Stat(m); err == nil {
				finals++
			}
		}
		// A journal, when there, lets the next command finish the commit.
		if _, err := os.Stat(filepath.Join(out, ".p.hdf5vault-commit")); err != nil && finals != 0 && finals != 4 {
			t.Fatalf("%s: %d of 4 members carry their final names, and no commit journal", inject, finals)
		}
		if r := runBin(t, "seal", base); r.code != 0 {
			t.Fatalf("%s: the next seal: exit %d: %s", inject, r.code, r.stderr)
		}
		if r := runBin(t, "verify", base); r.code != 0 {
			t.Fatalf("%s: verify: %s", inject, r.stderr)
		}
		if r := runBin(t, "check", "-d", src, base); r.code != 0 {
			t.Fatalf("%s: check: %s%s", inject, r.stdout, r.stderr)
		}
		if got := listDir(t, out); !slices.Equal(got, []string{"p_0.h5", "p_1.h5", "p_2.h5", "p_3.h5"}) {
			t.Errorf("%s: left %q", inject, got)
		}
	}
}

// TestUnpackSparesUnsealedShards: the finished shards of a set not yet
// sealed are temporary files whose runs are gone, but they are waiting for
// seal, not stale: an unpack whose destination holds them, and a create of
// another set beside them, leave them alone, and seal then succeeds.
func TestUnpackSparesUnsealedShards(t *testing.T) {
	t.Parallel()
	src := genTree(t, 4)
	dest := t.TempDir()
	out := filepath.Join(dest, "q") // unpack of set q restores into DEST/q
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(out, "p")
	for k, r := range runShards(t, src, base, 2) {
		if r.code != 0 {
			t.Fatalf("shard %d: %s", k, r.stderr)
		}
	}
	before := shardFiles(t, out)
	other := filepath.Join(t.TempDir(), "q")
	mustRun(t, "create", "-q", "-w", "1", src, other)
	if r := runBin(t, "unpack", "-d", dest, other); r.code != 0 {
		t.Fatalf("unpack: exit %d: %s", r.code, r.stderr)
	}
	mustRun(t, "create", "-q", "-w", "1", src, filepath.Join(out, "r"))
	if after := shardFiles(t, out); !maps.Equal(after, before) {
		t.Fatalf("the shards' files changed: before %v, after %v", before, after)
	}
	if r := runBin(t, "seal", base); r.code != 0 {
		t.Fatalf("seal: exit %d: %s", r.code, r.stderr)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Errorf("check: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}
