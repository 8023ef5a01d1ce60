package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

// Ops of the many-files run besides create, unpack and verify.
const (
	OpLs     = "ls"
	OpLsLong = "ls -l"
	OpCat    = "cat" // one file
)

// TarSetting labels the rows of tar + zstd -3 -T2 ("tar+zstd c3 j2").
var TarSetting = Setting{Codec: "tar+zstd", Level: 3, Jobs: 2}

// HaveTar reports whether tar and zstd are on PATH, and if not, which is missing.
func HaveTar() (ok bool, missing string) {
	for _, name := range []string{"tar", "zstd"} {
		if _, err := exec.LookPath(name); err != nil {
			return false, name
		}
	}
	return true, ""
}

// Scale runs what a user runs on a large set, with hdf5vault at setting s:
// create, ls, ls -l, cat of one file, verify and unpack; with tar, each
// job is followed by its tar + zstd equivalent (no verify), so that both
// meet the machine in the same state. The whole sequence runs rounds times
// (at least once), each round on archives of its own. each is called with
// every result as it comes. Failed jobs are Results with Err set; err is
// for the runner's own failures and interrupts.
func (r *Runner) Scale(ctx context.Context, s Setting, tar bool, rounds int, each func(Result)) ([]Result, error) {
	one, err := middleFile(r.Src)
	if err != nil {
		return nil, err
	}
	sc := &scaleRun{r: r, one: one, each: each}
	for round := range max(rounds, 1) {
		if err := sc.round(ctx, s, tar, round); err != nil {
			return nil, err
		}
	}
	return sc.results, nil
}

// round runs every job once on both sides, in scratch directory round.
func (sc *scaleRun) round(ctx context.Context, s Setting, tar bool, round int) error {
	r := sc.r
	dir, err := r.scratch(round)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sc.dest, sc.n = filepath.Join(dir, "unpacked"), round
	base := filepath.Join(dir, "archive")
	tarball := filepath.Join(dir, "archive.tar.zst")

	vault := sc.add(r.create(ctx, s, dir))
	tarOK := tar && sc.add(sc.tarCreate(ctx, tarball))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	jobs := []struct {
		op    string
		vault []string
		tar   []string // after zstd -dc; nil: no tar equivalent
	}{
		{op: OpLs, vault: []string{"ls", base}, tar: []string{"tar", "-t"}},
		{op: OpLsLong, vault: []string{"ls", "-l", base}, tar: []string{"tar", "-tv"}},
		{op: OpCat, vault: []string{"cat", "-p", sc.one.rel, base}, tar: []string{"tar", "-xO", "./" + sc.one.rel}},
		{op: OpVerify, vault: []string{"verify", base}},
		{op: OpUnpack, vault: []string{"unpack", "-d", sc.dest, base}, tar: []string{"tar", "-x", "-C", sc.dest}},
	}
	for _, j := range jobs {
		if vault {
			sc.add(sc.job(ctx, s, j.op, []string{r.Exe}, j.vault))
		}
		if tarOK && j.tar != nil {
			sc.add(sc.job(ctx, TarSetting, j.op, []string{"zstd", "-dc", tarball}, j.tar))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// Warm reads every regular file under src once and throws the bytes away,
// so that the first job timed does not meet a cold page cache that the
// jobs after it find warm (at 10^6 files a cold create took 2.4 times as
// long as a warm one). A file that cannot be read is left to the jobs.
func Warm(ctx context.Context, src string) error {
	buf := make([]byte, 1<<20)
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return ctx.Err()
		}
		if f, err := os.Open(p); err == nil {
			io.CopyBuffer(io.Discard, struct{ io.Reader }{f}, buf)
			f.Close()
		}
		return ctx.Err()
	})
}

type scaleRun struct {
	r       *Runner
	n       int     // the round being run
	dest    string  // where unpack writes; it must end up holding the source's files
	one     oneFile // what cat writes
	each    func(Result)
	results []Result
	stored  map[Setting]int64 // archive bytes per side, for every row's ratio
}

// oneFile is the file cat reads: its path relative to the source and its bytes.
type oneFile struct {
	rel  string
	data []byte
}

// add records a result and reports whether it succeeded.
func (sc *scaleRun) add(res Result) bool {
	if res.Op == OpCreate {
		if sc.stored == nil {
			sc.stored = map[Setting]int64{}
		}
		sc.stored[res.Setting] = res.Stored // 0 when this round's create failed
	}
	if res.Op != OpCat { // one file's bytes over the archive's would mean nothing
		res.Stored = sc.stored[res.Setting]
	}
	res.Round = sc.n
	sc.results = append(sc.results, res)
	sc.each(res)
	return res.Err == ""
}

// tarCreate writes the source as a zstd-compressed tar: tar -c | zstd -3 -T2.
func (sc *scaleRun) tarCreate(ctx context.Context, tarball string) Result {
	res := Result{Setting: TarSetting, Op: OpCreate, Files: sc.r.Tree.Files, Bytes: sc.r.Tree.Bytes}
	f, err := os.Create(tarball)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	res.Wall, res.PeakRSS, res.Err = measure(ctx, f, []string{"tar", "-c", "-f", "-", "-C", sc.r.Src, "."},
		[]string{"zstd", "-3", "-T2", "-q", "-c"})
	if err := f.Close(); err != nil && res.Err == "" {
		res.Err = err.Error()
	}
	if fi, err := os.Stat(tarball); err == nil {
		res.Stored = fi.Size()
	}
	return res
}

// job runs one read job: first (hdf5vault, or zstd -dc TARBALL) followed by
// args, piping first into args for tar. cat's output must be the file's
// bytes.
func (sc *scaleRun) job(ctx context.Context, s Setting, op string, first, args []string) Result {
	res := Result{Setting: s, Op: op, Files: sc.r.Tree.Files, Bytes: sc.r.Tree.Bytes}
	if op == OpUnpack {
		if err := os.Mkdir(sc.dest, 0o755); err != nil {
			res.Err = err.Error()
			return res
		}
		defer os.RemoveAll(sc.dest)
	}
	cmds := [][]string{slices.Concat(first, args)}
	if s == TarSetting {
		cmds = [][]string{first, args}
	}
	var got bytes.Buffer
	var out io.Writer // discarded but for cat's
	if op == OpCat {
		out = &got
		res.Files, res.Bytes = 1, int64(len(sc.one.data))
	}
	res.Wall, res.PeakRSS, res.Err = measure(ctx, out, cmds...)
	switch {
	case res.Err != "":
	case op == OpUnpack:
		res.Err = sc.r.sameSize(sc.dest)
	case op == OpCat && !bytes.Equal(got.Bytes(), sc.one.data):
		res.Err = fmt.Sprintf("cat wrote %d bytes that are not %s's %d", got.Len(), sc.one.rel, len(sc.one.data))
	}
	return res
}

// middleFile picks the file in the middle of the source in path order, so
// that neither the first nor the last entry of an index is what cat finds.
func middleFile(src string) (oneFile, error) {
	var paths []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil || len(paths) == 0 {
		return oneFile{}, fmt.Errorf("bench: no file to cat in %s: %v", src, err)
	}
	p := paths[len(paths)/2]
	rel, err := filepath.Rel(src, p)
	if err != nil {
		return oneFile{}, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return oneFile{}, fmt.Errorf("bench: %w", err)
	}
	return oneFile{rel: filepath.ToSlash(rel), data: data}, nil
}
