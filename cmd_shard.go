package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/pipeline"
	"github.com/hdf5vault/hdf5vault/progress"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/shard"
	"github.com/hdf5vault/hdf5vault/walker"
)

// shardFlag is create's --shard: one of N runs that together write a set
// (sealed afterwards by hdf5vault seal).
var shardFlag = &cli.StringFlag{Name: "shard",
	Usage: "write shard K of N of the set (then: hdf5vault seal BASE); -w must be a multiple of N (default N). " +
		"In a Slurm array, --shard slurm takes K and N from the array (--array=0-<N-1>), --shard /N only K, e.g. --shard 2/4"}

// shardSpec parses --shard: "K/N", "/N" (K from $SLURM_ARRAY_TASK_ID) or
// "slurm" (both from the array, which must be 0..N-1 in steps of 1).
func shardSpec(v string, env func(string) string) (k, n int, err error) {
	if v == "slurm" {
		return slurmShard(env)
	}
	ks, ns, ok := strings.Cut(v, "/")
	if n, err = strconv.Atoi(ns); !ok || err != nil || n < 1 {
		return 0, 0, usagef("--shard %q: give K/N (e.g. 2/4), /N inside a Slurm array, or slurm", v)
	}
	if ks == "" {
		id := env("SLURM_ARRAY_TASK_ID")
		if id == "" {
			return 0, 0, usagef("--shard /%d takes K from $SLURM_ARRAY_TASK_ID, which is not set (not inside a Slurm array): give K/%d", n, n)
		}
		ks = id
	}
	if k, err = strconv.Atoi(ks); err != nil || k < 0 || k >= n {
		return 0, 0, usagef("--shard %q: K must be 0..%d (got %q)", v, n-1, ks)
	}
	return k, n, nil
}

// slurmShard reads K and N from a Slurm job array, refusing arrays whose
// task ids are not exactly 0..COUNT-1 (a minimum above 0, a step, a list,
// or a single task resubmitted with --array=K), which would give shards
// the wrong numbers.
func slurmShard(env func(string) string) (k, n int, err error) {
	get := func(name string) (int, bool) {
		v, err := strconv.Atoi(env(name))
		return v, err == nil
	}
	id, okID := get("SLURM_ARRAY_TASK_ID")
	count, okCount := get("SLURM_ARRAY_TASK_COUNT")
	if !okID || !okCount {
		return 0, 0, usagef("--shard slurm: $SLURM_ARRAY_TASK_ID and $SLURM_ARRAY_TASK_COUNT are not set: run it in a job array (sbatch --array=0-3), or give --shard K/N")
	}
	lo, _ := get("SLURM_ARRAY_TASK_MIN")
	hi, okHi := get("SLURM_ARRAY_TASK_MAX")
	step, okStep := get("SLURM_ARRAY_TASK_STEP")
	if !okStep {
		step = 1
	}
	if !okHi {
		hi = count - 1
	}
	if lo != 0 || step != 1 || hi != count-1 || id < 0 || id >= count {
		return 0, 0, usagef("--shard slurm needs an array of task ids 0..N-1 (sbatch --array=0-%d); this one runs %d tasks, ids %d..%d in steps of %d: "+
			"give --shard K/N, or --shard /N to take only K from the task id (a rerun of one shard: sbatch --array=K with --shard /N)",
			count-1, count, lo, hi, step)
	}
	return id, count, nil
}

// shardRun is one shard's part of create.
type shardRun struct {
	o    *createOptions
	k, n int
}

// parseShard checks --shard against the other flags.
func parseShard(c *cli.Context, o *createOptions) (*shardRun, error) {
	k, n, err := shardSpec(c.String("shard"), os.Getenv)
	if err != nil {
		return nil, err
	}
	if !c.IsSet("writers") {
		o.writers = n
	}
	if o.writers%n != 0 {
		return nil, usagef("--shard %d/%d: -w %d is not a multiple of %d shards (each shard writes the same number of archive files)", k, n, o.writers, n)
	}
	if o.zip {
		return nil, usagef("--shard writes HDF5 sets only; drop -z")
	}
	return &shardRun{o: o, k: k, n: n}, nil
}

// shardSummary is the "shard" object of a shard's --json summary.
type shardSummary struct {
	Shard    int      `json:"shard"`
	Shards   int      `json:"shards"`
	Writers  int      `json:"writers"`
	Members  []string `json:"members"` // final names, given by seal
	Temp     []string `json:"temporary"`
	Listing  string   `json:"listing"`
	Assigned int      `json:"assigned_files"`
	Sealed   bool     `json:"sealed"` // always false: seal commits the set
}

// run writes this shard's members under temporary names and its record.
func (r *shardRun) run(c *cli.Context) error {
	o, start := r.o, time.Now()
	o.start = start
	say := func(s string) {
		if !o.quiet {
			fmt.Fprintln(os.Stderr, "hdf5vault:", s)
		}
	}
	if fi, err := os.Stat(o.src); err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return fmt.Errorf("source %s: %w", o.src, err)
	}
	if err := o.trimBaseExt(say); err != nil {
		return err
	}
	if setwriter.Inside(dirOf(o.base), o.src) {
		return usagef("--shard: the archive directory %s lies inside the source %s: every shard must list the same tree; choose a base outside it", dirOf(o.base), o.src)
	}
	js, err := openSummary(o, say)
	if err != nil {
		return err
	}
	defer js.discard()
	info := &shardSummary{Shard: r.k, Shards: r.n, Writers: o.writers}
	js.shard = info
	res, err := r.write(c, info, js, say, start)
	if err != nil {
		js.fail(c.Context, o, res, err)
		return fmt.Errorf("shard %d of %d: %w", r.k, r.n, err)
	}
	js.publish()
	return nil
}

func (r *shardRun) write(c *cli.Context, info *shardSummary, js *summaryFile, say func(string), start time.Time) (*pipeline.Result, error) {
	o := r.o
	walk := o.pipelineConfig(nil, nil, nil, say).Walk
	walk.SkipUnreadable = o.skipBad
	list, err := shard.List(c.Context, o.src, walk)
	if err != nil {
		return nil, err
	}
	sel := shard.Select(list, r.n, r.k)
	info.Listing, info.Assigned = list.Digest, len(sel)
	sh, err := setwriter.OpenShard(setwriter.Options{Base: o.base, Writers: o.writers, Force: o.force, Source: o.src, Note: say}, r.k, r.n)
	if err != nil {
		return nil, err
	}
	info.Members, info.Temp = sh.Final, sh.Temp
	res, err := r.store(c, sh, list, sel, say, start, js)
	if err != nil {
		sh.Fail(err)
		return res, err
	}
	if !o.quiet {
		say(fmt.Sprintf("shard %d of %d: %d files stored in %s (temporary names until: hdf5vault seal %s)",
			r.k, r.n, res.Files, strings.Join(sh.Temp, ", "), o.base))
	}
	return res, nil
}

// store runs the pipeline on the shard's files and finishes the shard
// with its record; a failure is the caller's to record.
func (r *shardRun) store(c *cli.Context, sh *setwriter.Shard, list *shard.Listing, sel map[string]bool, say func(string), start time.Time, js *summaryFile) (*pipeline.Result, error) {
	o := r.o
	ws, err := sh.Create(func(p string) (archive.Writer, error) { return openWriter(p, false) })
	if err != nil {
		return nil, err
	}
	show, note := runProgress(o.quiet, js, say)
	cfg := o.pipelineConfig(ws, show, nil, note)
	cfg.Select = func(e walker.Entry) bool { return sel[e.Rel] }
	cfg.FirstArchive, cfg.Members, cfg.Deferred = sh.Members[0], o.writers, true
	res, err := pipeline.Run(c.Context, cfg)
	show.Close()
	if err != nil {
		return nil, err
	}
	if err := checkShare(res, sel); err != nil {
		return res, err
	}
	rec := shard.Record{Source: o.src, Listing: list.Digest, Files: int64(len(list.Paths)), Bytes: list.Bytes,
		Settings: o.shardSettings(), Entries: make([]shard.File, len(res.Entries))}
	for i := range res.Entries {
		rec.Entries[i] = shard.FromEntry(&res.Entries[i])
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return res, err
	}
	sum := createSummary(o, res, sh.Temp, sh.Temp)
	sum.Finish(o.start, time.Now(), nil, 0)
	if err := js.prepare(sum); err != nil {
		return res, err
	}
	if err := sh.Finish(data); err != nil {
		return res, err
	}
	if !o.quiet {
		progress.WriteSummary(os.Stderr, sum)
	}
	return res, nil
}

// checkShare fails a shard that did not store every file it was given
// (one that vanished between the listing and the read).
func checkShare(res *pipeline.Result, sel map[string]bool) error {
	done := len(res.Entries) + len(res.Unreadable)
	if done == len(sel) {
		return nil
	}
	got := map[string]bool{}
	for _, e := range res.Entries {
		got[e.Path] = true
	}
	for _, u := range res.Unreadable {
		got[u.Path] = true
	}
	for p := range sel {
		if !got[p] {
			return fmt.Errorf("%s was listed but not found when the shard read the tree (it vanished or changed): rerun the shard", p)
		}
	}
	return fmt.Errorf("stored %d files of the %d assigned", done, len(sel))
}

func (o *createOptions) shardSettings() shard.Settings {
	return shard.Settings{ChunkSize: o.chunk, Compress: o.compress, Codec: o.blosc.Codec.String(), Level: o.blosc.Level,
		UseDict: o.blosc.UseDict, FollowSymlinks: o.follow, SkipUnreadable: o.skipBad}
}

func dirOf(base string) string {
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		if i == 0 {
			return "/"
		}
		return base[:i]
	}
	return "."
}
