package main

// create --dry-run: the walk and a plan of the set; nothing is written (no
// archive, temporary file, lock or journal; the JSON plan only when --json
// asks for it).

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
	"github.com/hdf5vault/hdf5vault/progress"
	"github.com/hdf5vault/hdf5vault/setwriter"
	"github.com/hdf5vault/hdf5vault/walker"
)

// The compression estimate compresses up to sampleParts parts, drawn with
// probability proportional to their size, each up to sampleBytes from its
// start, with the run's settings.
const (
	sampleParts = 16
	sampleBytes = 4 << 20
)

// plan is create --dry-run's report (also its --json output).
type plan struct {
	DryRun          bool             `json:"dry_run"`  // always true
	Complete        bool             `json:"complete"` // always false: nothing was stored
	Source          string           `json:"source"`
	Files           int64            `json:"files"`
	RawBytes        int64            `json:"raw_bytes"`
	Parts           int64            `json:"parts"`
	SplitSizeBytes  int64            `json:"split_size_bytes"`
	Excluded        int64            `json:"excluded"` // files and directories left out by --exclude, --files-from
	Symlinks        int              `json:"symlinks_not_followed"`
	Skipped         []walker.Skip    `json:"skipped"`
	Unreadable      []walker.Skip    `json:"unreadable"`
	Estimate        sizeEstimate     `json:"estimate"`
	EstimatedStored int64            `json:"estimated_stored_bytes"` // payload bytes, container metadata not included
	Archives        []plannedArchive `json:"archives"`
}

// sizeEstimate says how stored sizes were estimated.
type sizeEstimate struct {
	// Method is "sample": stored/raw of parts compressed with the run's
	// settings (raw when that is smaller, as create stores them); or
	// "raw": -m none stores every part as it is.
	Method       string  `json:"method"`
	SampledParts int     `json:"sampled_parts"`
	SampledBytes int64   `json:"sampled_bytes"`
	StoredPerRaw float64 `json:"stored_per_raw"`
}

type plannedArchive struct {
	Path            string `json:"path"`
	Exists          bool   `json:"exists"` // a file has this name now (create replaces a set only with --force)
	Parts           int64  `json:"parts"`
	RawBytes        int64  `json:"raw_bytes"`
	EstimatedStored int64  `json:"estimated_stored_bytes"`
}

// dryRun walks the source as create would and prints the plan.
func dryRun(c *cli.Context, o *createOptions) error {
	if err := checkPlanJSON(o); err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Dir(o.base)); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("%s: not a directory", filepath.Dir(o.base))
		}
		return fmt.Errorf("archive directory: %w", err)
	}
	p := &plan{DryRun: true, Source: o.src, SplitSizeBytes: o.chunk, Skipped: []walker.Skip{}, Unreadable: []walker.Skip{}}
	pl := &planner{chunk: o.chunk, raw: make([]int64, o.writers), parts: make([]int64, o.writers),
		rng: rand.New(rand.NewPCG(1, 2))}
	wo := walker.Options{FollowSymlinks: o.follow, SkipUnreadable: o.skipBad, Keep: o.keep(), Exclude: ownFiles(o)}
	st, err := walker.Walk(c.Context, o.src, wo, func(e walker.Entry) error { pl.add(e); return nil })
	if err != nil {
		return err
	}
	p.Files, p.RawBytes, p.Excluded, p.Symlinks = st.Files, st.Bytes, st.Excluded, len(st.Symlinks)
	p.Skipped, p.Unreadable = append(p.Skipped, st.Special...), append(p.Unreadable, st.Unreadable...)
	p.Estimate = pl.estimate(o)
	p.EstimatedStored = int64(math.Round(float64(p.RawBytes) * p.Estimate.StoredPerRaw))
	for i := range o.writers {
		path := filepath.Join(filepath.Dir(o.base), archive.FileName(filepath.Base(o.base), i, o.writers, o.zip))
		a := plannedArchive{Path: path, Parts: pl.parts[i], RawBytes: pl.raw[i],
			EstimatedStored: int64(math.Round(float64(pl.raw[i]) * p.Estimate.StoredPerRaw))}
		_, err := os.Lstat(path)
		a.Exists = err == nil
		p.Parts += a.Parts
		p.Archives = append(p.Archives, a)
	}
	return p.report(o)
}

// planner routes parts as create does (to the archive file with the fewest
// bytes so far; raw bytes here, stored bytes in create) and keeps a
// weighted reservoir of parts to compress for the estimate.
type planner struct {
	chunk      int64
	raw, parts []int64
	rng        *rand.Rand
	sample     []samplePart
	offered    int // parts with bytes: when no more than sampleParts, the sample is all of them
}

type samplePart struct {
	path   string
	off, n int64
	key    float64
}

func (pl *planner) add(e walker.Entry) {
	n := archive.NumParts(e.Size, pl.chunk)
	for k := range n {
		off := int64(k) * pl.chunk
		raw := min(pl.chunk, e.Size-off)
		a := 0
		for i := range pl.raw {
			if pl.raw[i] < pl.raw[a] {
				a = i
			}
		}
		pl.raw[a] += raw
		pl.parts[a]++
		pl.offer(e.Path, off, raw)
	}
}

// offer keeps the part with probability proportional to its size
// (Efraimidis and Spirakis' weighted reservoir: the largest u^(1/w)).
func (pl *planner) offer(path string, off, raw int64) {
	if raw == 0 {
		return
	}
	pl.offered++
	key := math.Log(1-pl.rng.Float64()) / float64(min(raw, sampleBytes))
	if len(pl.sample) < sampleParts {
		pl.sample = append(pl.sample, samplePart{path: path, off: off, n: min(raw, sampleBytes), key: key})
		return
	}
	low := 0
	for i := range pl.sample {
		if pl.sample[i].key < pl.sample[low].key {
			low = i
		}
	}
	if key > pl.sample[low].key {
		pl.sample[low] = samplePart{path: path, off: off, n: min(raw, sampleBytes), key: key}
	}
}

// estimate compresses the sampled parts. Drawn by size, their mean
// stored/raw estimates the set's; when they are every part, the ratio of
// their sums is the set's (exact for parts up to sampleBytes).
func (pl *planner) estimate(o *createOptions) sizeEstimate {
	if !o.compress {
		return sizeEstimate{Method: "raw", StoredPerRaw: 1}
	}
	est := sizeEstimate{Method: "sample", StoredPerRaw: 1}
	enc, err := blosc.NewEncoder(o.blosc)
	if err != nil {
		return est // checked by parseCreate: not reached
	}
	ratios, stored := 0.0, int64(0)
	for _, s := range pl.sample {
		n, err := compressedSize(enc, s)
		if err != nil {
			continue // unreadable now: create would name it; the estimate goes without
		}
		ratios += float64(n) / float64(s.n)
		stored += n
		est.SampledParts++
		est.SampledBytes += s.n
	}
	switch {
	case est.SampledParts == 0:
	case pl.offered <= sampleParts:
		est.StoredPerRaw = float64(stored) / float64(est.SampledBytes)
	default:
		est.StoredPerRaw = ratios / float64(est.SampledParts)
	}
	return est
}

func compressedSize(enc *blosc.Encoder, s samplePart) (int64, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, s.n)
	if _, err := f.ReadAt(buf, s.off); err != nil {
		return 0, err
	}
	out, err := enc.EncodeAll(buf, nil)
	if err != nil {
		return 0, err
	}
	return min(int64(len(out)), s.n), nil
}

// ownFiles leaves out the set's own files when it is written inside the
// source, as create does.
func ownFiles(o *createOptions) func(dir, name string) bool {
	dir := filepath.Dir(o.base)
	fi, err := os.Stat(dir)
	if err != nil {
		return nil
	}
	var names []string
	for i := range o.writers {
		names = append(names, archive.FileName(filepath.Base(o.base), i, o.writers, o.zip))
	}
	return func(d, name string) bool {
		if !slices.Contains(names, name) {
			return false
		}
		dfi, err := os.Stat(d)
		return err == nil && os.SameFile(fi, dfi)
	}
}

// checkPlanJSON refuses a --json path create would refuse, without
// creating anything.
func checkPlanJSON(o *createOptions) error {
	p := o.jsonOut
	if p == "" || p == "-" {
		return nil
	}
	name := filepath.Base(p)
	switch {
	case archive.IsArchiveName(name) || archive.IsTempName(name):
		return usagef("--json %s: that is an archive's (or its temporary file's) name, not a summary's; give a .json path", p)
	case setwriter.Inside(filepath.Dir(p), o.src):
		return usagef("--json %s lies inside the source %s; write it elsewhere", p, o.src)
	}
	if fi, err := os.Lstat(p); err == nil {
		return mayReplaceSummary(p, fi, o.force)
	}
	return nil
}

// report prints the plan as text (stdout; stderr when the JSON goes to
// stdout; nothing with -q) and writes the JSON plan when --json asks.
func (p *plan) report(o *createOptions) error {
	var text io.Writer = os.Stdout
	if o.jsonOut == "-" {
		text = os.Stderr
	}
	if !o.quiet {
		p.writeText(text, o.force)
	}
	if o.jsonOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if o.jsonOut == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
		return fmt.Errorf("--json %s: %w", o.jsonOut, err)
	}
	return nil
}

func (p *plan) writeText(w io.Writer, force bool) {
	fmt.Fprintf(w, "dry run: nothing written\n")
	fmt.Fprintf(w, "%s: %d files, %d bytes (%s), %d parts at split size %d\n",
		p.Source, p.Files, p.RawBytes, progress.IEC(p.RawBytes), p.Parts, p.SplitSizeBytes)
	if p.Excluded > 0 {
		fmt.Fprintf(w, "  left out by --exclude/--files-from: %d files and directories\n", p.Excluded)
	}
	if p.Symlinks > 0 {
		fmt.Fprintf(w, "  symlinks not followed: %d (--follow-symlinks to follow)\n", p.Symlinks)
	}
	list := func(title string, l []walker.Skip) {
		for _, s := range l {
			fmt.Fprintf(w, "  %s %s: %s\n", title, s.Path, s.Reason)
		}
	}
	list("skipped", p.Skipped)
	list("NOT ARCHIVED (unreadable)", p.Unreadable)
	e := p.Estimate
	if e.Method == "raw" {
		fmt.Fprintf(w, "estimated sizes: the raw bytes (-m none)")
	} else {
		fmt.Fprintf(w, "estimated sizes: raw bytes x %.3f, the stored/raw of %d parts (%s) sampled by size and compressed with these settings",
			e.StoredPerRaw, e.SampledParts, progress.IEC(e.SampledBytes))
	}
	fmt.Fprintf(w, "; payloads only, HDF5 or zip metadata not included\n")
	for _, a := range p.Archives {
		note := ""
		if a.Exists {
			note = " (exists: replaced only with --force)"
			if force {
				note = " (exists: --force replaces it)"
			}
		}
		fmt.Fprintf(w, "  %s: %d parts, %d raw bytes, about %d bytes (%s)%s\n",
			a.Path, a.Parts, a.RawBytes, a.EstimatedStored, progress.IEC(a.EstimatedStored), note)
	}
	fmt.Fprintf(w, "  total: about %d bytes (%s)\n", p.EstimatedStored, progress.IEC(p.EstimatedStored))
}
