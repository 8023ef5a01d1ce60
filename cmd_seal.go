package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/h5sink"
	"github.com/hdf5vault/hdf5vault/jsonl"
	"github.com/hdf5vault/hdf5vault/pipeline"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/shard"
)

func sealCommand() *cli.Command {
	return &cli.Command{
		Name:      "seal",
		Usage:     "commit the set that create --shard K/N runs wrote: index every member, then give them their final names",
		ArgsUsage: "ARCHIVE_BASE",
		Description: "Run after every shard has finished (in Slurm: sbatch --dependency=afterok:$ARRAY seal.sh):\n" +
			"   seq 0 3 | xargs -P4 -I{} hdf5vault create /data/plate1 /archive/plate1 --shard {}/4\n" +
			"   hdf5vault seal /archive/plate1\n" +
			"It refuses, naming them, shards that are missing, failed, killed, or stale (another\n" +
			"source listing, shard count, -w or settings than the others); rerun those shards and seal\n" +
			"again. It writes the whole index into every member, syncs, and commits the set as create\n" +
			"does (journal, no final name replaced; an existing set only with --force). Sealing a\n" +
			"sealed set says so and exits 0.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "replace an existing set with this base, as create --force does"},
			&cli.StringFlag{Name: "json", Usage: "also write seal's summary as JSON to FILE, or to stdout with -, e.g. --json seal.json"},
			&cli.BoolFlag{Name: "quiet", Usage: "no notes or summary (errors still go to stderr)"},
		},
		Action: runSeal,
	}
}

// sealSummary is what seal did; --json writes it as the common summary
// (command "seal"), its shard-specific part under "shard" (sealInfo).
type sealSummary struct {
	Source      string
	Files       int64
	RawBytes    int64
	StoredBytes int64
	Archives    []jsonl.Archive
	sealInfo
}

// sealInfo is the "shard" object of seal's summary.
type sealInfo struct {
	Base          string      `json:"base"`
	AlreadySealed bool        `json:"already_sealed"`
	Shards        []sealShard `json:"shards"`
	Replaced      []string    `json:"replaced"`
}

// sealShard is what one shard contributed.
type sealShard struct {
	Shard    int       `json:"shard"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Finished time.Time `json:"finished"`
	Files    int       `json:"files"`
	RawBytes int64     `json:"raw_bytes"`
	Members  []int     `json:"archive_numbers"`
}

func runSeal(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) != 1 {
		return usagef("seal needs ARCHIVE_BASE (got %d arguments)", len(args))
	}
	start := time.Now()
	quiet := c.Bool("quiet")
	say := func(s string) {
		if !quiet {
			fmt.Fprintln(os.Stderr, "hdf5vault:", s)
		}
	}
	base := strings.TrimSuffix(args[0], ".h5")
	sum := &sealSummary{Archives: []jsonl.Archive{}, sealInfo: sealInfo{Base: base, Shards: []sealShard{}, Replaced: []string{}}}
	js, err := openSummary(&createOptions{jsonOut: c.String("json"), force: c.Bool("force")}, say)
	if err != nil {
		return err
	}
	defer js.discard()
	err = seal(base, c.Bool("force"), sum, say)
	out := jsonl.New("seal", version, start)
	out.Source, out.Files, out.RawBytes, out.StoredBytes = sum.Source, sum.Files, sum.RawBytes, sum.StoredBytes
	if err == nil {
		out.Archives = sum.Archives
	}
	out.Shard = sum.sealInfo
	out.Settings.Force = c.Bool("force")
	out.Finish(start, time.Now(), err, exitStatus(err, false))
	if jerr := js.prepare(out); jerr != nil && err == nil {
		err = jerr
	}
	js.publish()
	if err == nil && !quiet && !sum.AlreadySealed {
		fmt.Fprintf(os.Stderr, "hdf5vault: sealed %s: %d files, %d bytes, %d archive files from %d shards, in %.1f s\n",
			base, sum.Files, sum.RawBytes, len(sum.Archives), len(sum.Shards), time.Since(start).Seconds())
	}
	return err
}

// seal checks the shards, indexes every member and commits the set.
// It keeps to one OS thread: seal is sequential, and its system calls then
// come in one order from one thread, which is what fault injection by
// call count needs (strace counts per thread; TestSealKilled).
func seal(base string, force bool, sum *sealSummary, say func(string)) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	sl, err := setwriter.OpenSeal(setwriter.Options{Base: base, Force: force, Note: say})
	switch {
	case errors.Is(err, setwriter.ErrNoShards), errors.Is(err, setwriter.ErrSealed):
		return alreadySealed(base, sum, say)
	case err != nil:
		return err
	}
	ok := false
	defer func() {
		if !ok {
			sl.Abort()
		}
	}()
	recs, err := readShards(sl)
	if err != nil {
		return err
	}
	entries, err := mergeShards(sl, recs, sum)
	if err != nil {
		return err
	}
	if err := indexMembers(sl, recs[0].Settings.ChunkSize, entries); err != nil {
		return err
	}
	if err := sl.Commit(); err != nil {
		return err
	}
	ok = true
	sum.Replaced = append(sum.Replaced, sl.Replaced()...)
	for _, p := range sl.Replaced() {
		say("replaced " + p + " (--force)")
	}
	for m, f := range sl.Final {
		a := jsonl.Archive{Path: f}
		if fi, err := os.Stat(f); err == nil {
			a.Bytes = fi.Size()
		}
		for _, e := range entries {
			for _, p := range e.Parts {
				if p[0] == int64(m) {
					a.Parts++
					a.PayloadBytes += p[2]
				}
			}
		}
		sum.Archives = append(sum.Archives, a)
	}
	return nil
}

// alreadySealed answers a seal with no shards: exit 0 when the set is
// there (sealed before), an error otherwise.
func alreadySealed(base string, sum *sealSummary, say func(string)) error {
	dir, name := filepath.Split(base)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("archive directory: %w", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	members, err := archive.Members(name, names)
	if err != nil || len(members) == 0 {
		return fmt.Errorf("no shards of %s to seal (no .%s.shard-K.hdf5vault-shard records in %s) and no such set: run create --shard K/N first", base, name, dir)
	}
	sum.AlreadySealed = true
	for _, m := range members {
		fi, err := os.Stat(filepath.Join(dir, m))
		if err == nil {
			sum.Archives = append(sum.Archives, jsonl.Archive{Path: filepath.Join(dir, m), Bytes: fi.Size()})
		}
	}
	say(fmt.Sprintf("%s is already sealed (%s): nothing to do", base, strings.Join(members, ", ")))
	return nil
}

// readShards parses every shard's data and checks that the shards agree:
// the same source listing and settings (the odd ones out are named).
func readShards(sl *setwriter.Seal) ([]*shard.Record, error) {
	recs := make([]*shard.Record, len(sl.Records))
	for i, r := range sl.Records {
		rec, err := shard.ParseRecord(r.Data, r.Members)
		if err != nil {
			return nil, fmt.Errorf("shard %d: its record is damaged (%v): rerun shard %d", r.Shard, err, r.Shard)
		}
		recs[i] = rec
	}
	key := func(r *shard.Record) string {
		return fmt.Sprintf("source %s, listing %s (%d files, %d bytes), settings %+v", r.Source, r.Listing, r.Files, r.Bytes, r.Settings)
	}
	groups := map[string][]int{}
	for i, r := range recs {
		groups[key(r)] = append(groups[key(r)], i)
	}
	if len(groups) == 1 {
		return recs, nil
	}
	var most string
	for k, g := range groups {
		if len(g) > len(groups[most]) || (len(g) == len(groups[most]) && k < most) {
			most = k
		}
	}
	var bad []string
	for k, g := range groups {
		if k != most {
			for _, i := range g {
				bad = append(bad, fmt.Sprintf("shard %d is stale: it ran on %s; shards %v ran on %s; rerun shard %d", i, k, groups[most], most, i))
			}
		}
	}
	slices.Sort(bad)
	return nil, fmt.Errorf("cannot seal %s: the shards did not see the same tree or settings:\n  %s", filepath.Join(sl.Dir, sl.Base), strings.Join(bad, "\n  "))
}

// mergeShards puts the shards' files in path order, refusing a path two
// shards hold and a set that does not hold its listing's files.
func mergeShards(sl *setwriter.Seal, recs []*shard.Record, sum *sealSummary) ([]shard.File, error) {
	type owned struct {
		f     shard.File
		shard int
	}
	var all []owned
	for i, r := range recs {
		s := sealShard{Shard: i, Host: sl.Records[i].Host, PID: sl.Records[i].PID, Finished: sl.Records[i].Time,
			Files: len(r.Entries), Members: sl.Records[i].Members}
		for _, f := range r.Entries {
			all = append(all, owned{f, i})
			s.RawBytes += f.Size
		}
		sum.Shards = append(sum.Shards, s)
		sum.Files += int64(len(r.Entries))
		sum.RawBytes += s.RawBytes
	}
	sum.Source = recs[0].Source
	slices.SortFunc(all, func(a, b owned) int { return strings.Compare(a.f.Path, b.f.Path) })
	out := make([]shard.File, len(all))
	for i, o := range all {
		if i > 0 && all[i-1].f.Path == o.f.Path {
			return nil, fmt.Errorf("cannot seal %s: shards %d and %d both hold %s (a duplicated shard): rerun shard %d",
				filepath.Join(sl.Dir, sl.Base), all[i-1].shard, o.shard, o.f.Path, o.shard)
		}
		out[i] = o.f
		for _, p := range o.f.Parts {
			sum.StoredBytes += p[2]
		}
	}
	if !recs[0].Settings.SkipUnreadable && int64(len(out)) != recs[0].Files {
		return nil, fmt.Errorf("cannot seal %s: the shards hold %d files, their listing %d", filepath.Join(sl.Dir, sl.Base), len(out), recs[0].Files)
	}
	return out, nil
}

// indexMembers writes the whole set's indexes into every member (the
// shards' files, still under their temporary names), each synced.
func indexMembers(sl *setwriter.Seal, chunk int64, files []shard.File) error {
	var e archive.Entry
	side, info, err := pipeline.Indexes(len(files), func(i int) *archive.Entry {
		e = files[i].Entry()
		return &e
	}, len(sl.Final), chunk)
	if err != nil {
		return fmt.Errorf("index: %w", err)
	}
	for m, p := range sl.Temp {
		w, err := h5sink.Reopen(p)
		if err != nil {
			return err
		}
		root := archive.RootAttrs{Description: archive.Description, Version: archive.Version, ChunkSize: chunk,
			FileNumber: m, NumFiles: len(sl.Final), Info: info, InfoNUL: true}
		if _, err := w.Put(archive.SideIndexName, side, archive.DatasetAttrs{Compression: archive.MethodNone}); err != nil {
			w.Close()
			return fmt.Errorf("archive file %d: side index: %w", m, err)
		}
		if err := w.Finish(root); err != nil {
			w.Close()
			return fmt.Errorf("archive file %d: %w", m, err)
		}
	}
	return nil
}
