package main

// Selective restore and archive through the binary: unpack PATH...,
// --include/--exclude, create --exclude/--files-from, check with the same
// selection, create --dry-run.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/tempfile"
)

// selectTree writes files whose names test the glob rules: namesakes of a
// directory (B03.tif, B03-old), a comma and a leading space in names, a
// bracket in a directory name, files of the same name at several depths.
func selectTree(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{}
	for i, rel := range []string{
		"Plate1/B03/B03_f01_ch1.tif", "Plate1/B03/B03_f01_ch2.tif", "Plate1/B03/cache/x.tif",
		"Plate1/B03.tif", "Plate1/B03-old/B03_f01_ch1.tif",
		"Plate1/A01/A01_f01_ch1.tif", "Plate1/A01/notes, with comma.txt", "Plate1/A01/ lead space.tmp",
		"Plate1_metadata.json", "top.tmp", "a[1]/b.txt",
	} {
		files[rel] = []byte(strings.Repeat(fmt.Sprintf("%s #%d; ", rel, i), 50+40*i))
		p := filepath.Join(src, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, files[rel], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src, files
}

// subset is the part of files named in keep; a name not in files fails the test.
func subset(t *testing.T, files map[string][]byte, keep ...string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, k := range keep {
		b, ok := files[k]
		if !ok {
			t.Fatalf("test bug: %s is not in the tree", k)
		}
		out[k] = b
	}
	return out
}

// without is files less the names given.
func without(files map[string][]byte, drop ...string) []string {
	var keep []string
	for p := range files {
		if !slices.Contains(drop, p) {
			keep = append(keep, p)
		}
	}
	return keep
}

type selCase struct {
	name  string
	flags []string // before the set
	paths []string // after the set
	want  []string
}

func selectCases(files map[string][]byte) []selCase {
	return []selCase{
		{"a directory PATH is everything below it, not its namesakes", nil, []string{"Plate1/B03"},
			[]string{"Plate1/B03/B03_f01_ch1.tif", "Plate1/B03/B03_f01_ch2.tif", "Plate1/B03/cache/x.tif"}},
		{"file PATHs, a comma kept", nil, []string{"top.tmp", "./Plate1/A01/notes, with comma.txt"},
			[]string{"top.tmp", "Plate1/A01/notes, with comma.txt"}},
		{"include a name anywhere, exclude a directory name", []string{"--include", "*.tif", "--exclude", "cache/"}, nil,
			[]string{"Plate1/B03/B03_f01_ch1.tif", "Plate1/B03/B03_f01_ch2.tif", "Plate1/B03.tif",
				"Plate1/B03-old/B03_f01_ch1.tif", "Plate1/A01/A01_f01_ch1.tif"}},
		{"excludes alone", []string{"--exclude", "*.tmp", "--exclude", "Plate1/B03"}, nil,
			without(files, "top.tmp", "Plate1/A01/ lead space.tmp", "Plate1/B03/B03_f01_ch1.tif",
				"Plate1/B03/B03_f01_ch2.tif", "Plate1/B03/cache/x.tif")},
		{"** spans directories", []string{"--include", "Plate1/**/*_ch1.tif"}, nil,
			[]string{"Plate1/B03/B03_f01_ch1.tif", "Plate1/B03-old/B03_f01_ch1.tif", "Plate1/A01/A01_f01_ch1.tif"}},
		{"a glob with a comma is one glob", []string{"--include", "Plate1/A01/notes, with*"}, nil,
			[]string{"Plate1/A01/notes, with comma.txt"}},
		{"quoted brackets", []string{"--include", `a\[1\]/*`}, nil, []string{"a[1]/b.txt"}},
		{"PATH, include and exclude together", []string{"--include", "top.*", "--exclude", " lead*"}, []string{"Plate1/A01"},
			[]string{"Plate1/A01/A01_f01_ch1.tif", "Plate1/A01/notes, with comma.txt", "top.tmp"}},
	}
}

// unpackSelected unpacks set with a selection into a fresh DEST and
// returns what landed in DEST/<stem>.
func unpackSelected(t *testing.T, set []string, stem string, c selCase) map[string][]byte {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "dest")
	args := append(append(append([]string{"unpack", "-q", "-d", dest}, c.flags...), set...), c.paths...)
	out := mustRun(t, args...)
	if want := fmt.Sprintf("unpacked %d files", len(c.want)); !strings.Contains(out, want) {
		t.Errorf("%s: %q missing from %q", c.name, want, out)
	}
	return sourceFiles(t, filepath.Join(dest, stem))
}

// TestUnpackSelection: the restored tree is exactly the selected subset of
// the source, byte for byte, from HDF5 and zip sets with a side index.
func TestUnpackSelection(t *testing.T) {
	t.Parallel()
	src, files := selectTree(t)
	out := t.TempDir()
	for _, kind := range []struct{ name, flag, ext string }{{"h5", "-w", ".h5"}, {"zip", "-z", ".zip"}} {
		base := filepath.Join(out, kind.name)
		args := []string{"create", "-q", "-w", "2", src, base}
		if kind.flag == "-z" {
			args = append(args, "-z")
		}
		mustRun(t, args...)
		for _, set := range [][]string{{base}, {base + "_0" + kind.ext, base + "_1" + kind.ext}} {
			for _, c := range selectCases(files) {
				t.Run(kind.name+"/"+c.name, func(t *testing.T) {
					sameTree(t, unpackSelected(t, set, kind.name, c), subset(t, files, c.want...))
				})
			}
		}
	}
}

// TestUnpackSelectionOriginal: sets of the original tool (JSON index only).
func TestUnpackSelectionOriginal(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	tree := sourceFiles(t, filepath.Join(fixtures, "tree"))
	cases := []selCase{
		{"glob and exclude", []string{"--include", "Images/*/field*", "--exclude", "*C02*"}, nil,
			[]string{"Images/A01/field1_C01.tif", "Images/A02/field 2 (copy).tif"}},
		{"deep directory and a hidden file", nil, []string{"deep", ".hidden/config.json"},
			[]string{"deep/a/b/c/d/leaf.csv", ".hidden/config.json"}},
	}
	for _, name := range []string{"set2", "zipset"} {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				got := unpackSelected(t, []string{filepath.Join(fixtures, "archives", name)}, name, c)
				sameTree(t, got, subset(t, tree, c.want...))
			})
		}
	}
}

// TestUnpackSelectionNotFound: PATHs and includes that match nothing are
// refused before anything is written, all named, exit 1.
func TestUnpackSelectionNotFound(t *testing.T) {
	t.Parallel()
	src, _ := selectTree(t)
	base := filepath.Join(t.TempDir(), "s")
	mustRun(t, "create", "-q", src, base)
	dest := filepath.Join(t.TempDir(), "dest")
	r := runBin(t, "unpack", "-d", dest, "--include", "*.png", base, "Plate1/B03", "Plate1/B0", "nope/x.tif")
	wantFail(t, "unpack", r, 1, "not in the archive set", "Plate1/B0,", "nope/x.tif", "--include *.png", "nothing was written")
	if strings.Contains(r.stderr, "Plate1/B03,") {
		t.Errorf("a PATH in the set is named missing: %s", r.stderr)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Errorf("DEST %s was created", dest)
	}
}

// TestSelectionBadGlob: a malformed glob is a usage error naming it, for
// every command that takes one, before anything is read or written.
func TestSelectionBadGlob(t *testing.T) {
	t.Parallel()
	src, _ := selectTree(t)
	out := t.TempDir()
	base := filepath.Join(out, "s")
	mustRun(t, "create", "-q", src, base)
	dest := filepath.Join(t.TempDir(), "dest")
	for _, g := range []string{"Plate1/[B03", `x\`, "a//b", "../up", ""} {
		for _, c := range []struct {
			flag string
			args []string
		}{
			{"--include", []string{"unpack", "-d", dest, "--include", g, base}},
			{"--exclude", []string{"unpack", "-d", dest, "--exclude", g, base}},
			{"--exclude", []string{"create", "--exclude", g, src, filepath.Join(out, "n")}},
			{"--exclude", []string{"create", "--dry-run", "--exclude", g, src, filepath.Join(out, "n")}},
			{"--exclude", []string{"check", "-d", src, "--exclude", g, base}},
		} {
			wantFail(t, strings.Join(c.args, " "), runBin(t, c.args...), 2, c.flag, fmt.Sprintf("%q", g))
		}
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("unpack created DEST")
	}
	if got := listDir(t, out); !slices.Equal(got, []string{"s_0.h5", "s_1.h5"}) {
		t.Errorf("create left %q", got)
	}
}

// TestUnpackSelectionReadsOnlyItsBlocks: with a side index, a selected
// unpack reads only the blocks holding the selection. A damaged block in
// the only copy refuses a whole unpack but not one of a path elsewhere.
func TestUnpackSelectionReadsOnlyItsBlocks(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{}
	for i := range 600 { // three blocks of 256 entries
		rel := fmt.Sprintf("W%02d/f%03d.txt", i/50, i)
		files[rel] = []byte(fmt.Sprintf("file %d\n", i))
		os.MkdirAll(filepath.Join(src, filepath.Dir(rel)), 0o755)
		if err := os.WriteFile(filepath.Join(src, rel), files[rel], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := filepath.Join(t.TempDir(), "one")
	mustRun(t, "create", "-q", "-w", "1", src, base)
	off, size := sideAt(t, base+".h5")
	flipAt(t, base+".h5", off+size-3) // the last block
	dest := filepath.Join(t.TempDir(), "d")
	wantFail(t, "whole unpack", runBin(t, "unpack", "-d", dest, base), 1, "checksum mismatch")
	c := selCase{"first block", nil, []string{"W00/f007.txt", "W01"}, nil}
	for i := 50; i < 100; i++ {
		c.want = append(c.want, fmt.Sprintf("W01/f%03d.txt", i))
	}
	c.want = append(c.want, "W00/f007.txt")
	sameTree(t, unpackSelected(t, []string{base}, "one", c), subset(t, files, c.want...))
}

// TestUnpackSelectionOptions: --skip-existing and --keep-going work on a
// selection, and damage outside the selection is never met.
func TestUnpackSelectionOptions(t *testing.T) {
	t.Parallel()
	src, files := plateTree(t, 30) // w0..w3/fNN.txt
	base := filepath.Join(t.TempDir(), "p")
	mustRun(t, "create", "-q", "-w", "2", src, base)
	members := []string{base + "_0.h5", base + "_1.h5"}

	dest := filepath.Join(t.TempDir(), "dest")
	mustRun(t, "unpack", "-q", "-d", dest, base, "w1")
	os.WriteFile(filepath.Join(dest, "p", "w1", "f05.txt"), []byte("changed"), 0o644)
	r := runBin(t, "unpack", "--skip-existing", "-d", dest, base, "w1", "w2")
	wantFail(t, "resume", r, 3, "DIFFERS", "w1/f05.txt")
	if !strings.Contains(r.stdout, "unpacked 7 files") || !strings.Contains(r.stdout, "7 already there") {
		t.Errorf("resume: %s", r.stdout)
	}
	want := subset(t, files, without(files, "w1/f05.txt")...)
	for p := range want {
		if !strings.HasPrefix(p, "w1/") && !strings.HasPrefix(p, "w2/") {
			delete(want, p)
		}
	}
	got := sourceFiles(t, filepath.Join(dest, "p"))
	delete(got, "w1/f05.txt")
	sameTree(t, got, want)

	damagePayload(t, "w3/f07.txt", members)
	dest = filepath.Join(t.TempDir(), "dest")
	mustRun(t, "unpack", "-q", "-d", dest, "--exclude", "w3/f07.txt", base) // never read
	dest = filepath.Join(t.TempDir(), "dest")
	r = runBin(t, "unpack", "-k", "-j", "1", "-d", dest, base, "w3")
	wantFail(t, "keep going", r, 3, "DAMAGED", "w3/f07.txt")
	var w3 []string
	for p := range files {
		if strings.HasPrefix(p, "w3/") && p != "w3/f07.txt" {
			w3 = append(w3, p)
		}
	}
	sameTree(t, sourceFiles(t, filepath.Join(dest, "p")), subset(t, files, w3...))
	noTemps(t, dest)
}

// archived unpacks base and returns its files.
func archived(t *testing.T, base string) map[string][]byte {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "dest")
	mustRun(t, "unpack", "-q", "-d", dest, base)
	return sourceFiles(t, filepath.Join(dest, filepath.Base(base)))
}

// TestCreateExclude: excluded files are not archived, the rest is, byte
// for byte; check reports the excluded files as not archived unless given
// the same --exclude.
func TestCreateExclude(t *testing.T) {
	t.Parallel()
	src, files := selectTree(t)
	base := filepath.Join(t.TempDir(), "x")
	r := runBin(t, "create", "--exclude", "*.tmp", "--exclude", "Plate1/B03", "--exclude", "a[[]1]/", src, base)
	wantFail(t, "create", r, 0, "left out 4 files and directories")
	want := without(files, "top.tmp", "Plate1/A01/ lead space.tmp", "Plate1/B03/B03_f01_ch1.tif",
		"Plate1/B03/B03_f01_ch2.tif", "Plate1/B03/cache/x.tif", "a[1]/b.txt")
	sameTree(t, archived(t, base), subset(t, files, want...))

	r = runBin(t, "check", "-d", src, base)
	wantFail(t, "check without --exclude", r, 3, "top.tmp: on disk but not in the archive", "cache/x.tif: on disk but not in the archive")
	r = runBin(t, "check", "-d", src, "--exclude", "*.tmp", "--exclude", "Plate1/B03", "--exclude", "a[[]1]/", base)
	wantFail(t, "check with the same --exclude", r, 0, fmt.Sprintf("check passed: %d files", len(want)))
	// An archived file excluded at check is not compared: its damage on disk is not seen.
	os.WriteFile(filepath.Join(src, "top.txt"), []byte("new"), 0o644)
	wantFail(t, "check of a new file", runBin(t, "check", "-d", src, "--exclude", "*.tmp", "--exclude", "Plate1/B03", "--exclude", "a[[]1]/", base), 3, "top.txt: on disk but not in the archive")
}

// runStdin runs the binary with stdin.
func runStdin(t *testing.T, stdin []byte, args ...string) runResult {
	t.Helper()
	cmd := exec.Command(readBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &out, &errb
	err := cmd.Run()
	r := runResult{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCreateFilesFrom: exactly the listed files and directories are
// archived (newline or NUL lists, from a file or stdin, with --exclude);
// check with the same list passes; missing entries are named, nothing written.
func TestCreateFilesFrom(t *testing.T) {
	t.Parallel()
	src, files := selectTree(t)
	out := t.TempDir()
	list := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(list, []byte("Plate1/B03\n\n./top.tmp\nPlate1/A01/notes, with comma.txt\n a wrong\n"), 0o644)
	os.WriteFile(filepath.Join(src, " a wrong"), []byte("leading space"), 0o644)
	files[" a wrong"] = []byte("leading space")
	want := []string{"Plate1/B03/B03_f01_ch1.tif", "Plate1/B03/B03_f01_ch2.tif", "Plate1/B03/cache/x.tif",
		"top.tmp", "Plate1/A01/notes, with comma.txt", " a wrong"}

	base := filepath.Join(out, "nl")
	mustRun(t, "create", "-q", "--files-from", list, src, base)
	sameTree(t, archived(t, base), subset(t, files, want...))
	wantFail(t, "check --files-from", runBin(t, "check", "-d", src, "--files-from", list, base), 0, "check passed: 6 files")

	nul := []byte("Plate1/B03\x00top.tmp\x00Plate1/A01/notes, with comma.txt\x00 a wrong")
	base = filepath.Join(out, "nul")
	r := runStdin(t, nul, "create", "-q", "--null", "--files-from", "-", "--exclude", "cache", src, base)
	wantFail(t, "create --null --files-from -", r, 0)
	sameTree(t, archived(t, base), subset(t, files, slices.DeleteFunc(want, func(p string) bool { return strings.Contains(p, "cache") })...))

	before := listDir(t, out)
	os.WriteFile(list, []byte("top.tmp\nnope.txt\nPlate1/B03/gone/\n"), 0o644)
	r = runBin(t, "create", "--files-from", list, src, filepath.Join(out, "miss"))
	wantFail(t, "missing entries", r, 1, "missing in", "nope.txt", "Plate1/B03/gone/")
	os.WriteFile(list, []byte("top.tmp\n/etc/passwd\n"), 0o644)
	wantFail(t, "absolute entry", runBin(t, "create", "--files-from", list, src, filepath.Join(out, "abs")), 2, "entry 2", "/etc/passwd")
	wantFail(t, "--null alone", runBin(t, "create", "--null", src, filepath.Join(out, "n")), 2, "--null")
	if got := listDir(t, out); !slices.Equal(got, before) {
		t.Errorf("failed runs left %q (before: %q)", got, before)
	}
}

// dryPlan is the part of create --dry-run's JSON the tests read.
type dryPlan struct {
	DryRun          bool  `json:"dry_run"`
	Files           int64 `json:"files"`
	Parts           int64 `json:"parts"`
	RawBytes        int64 `json:"raw_bytes"`
	Excluded        int64 `json:"excluded"`
	EstimatedStored int64 `json:"estimated_stored_bytes"`
	Archives        []struct {
		Path   string `json:"path"`
		Exists bool   `json:"exists"`
		Parts  int64  `json:"parts"`
	} `json:"archives"`
}

// TestCreateDryRun: the plan's counts are those of the real run, its
// estimate (every part sampled here) its stored bytes; the output
// directory stays byte-identical (an existing set there too) and nothing
// is written anywhere but the --json file asked for.
func TestCreateDryRun(t *testing.T) {
	t.Parallel()
	src, _ := selectTree(t)
	out := t.TempDir()
	mustRun(t, "create", "-q", "-w", "3", src, filepath.Join(out, "old"))
	// A killed run's leftover, which a real create would remove: a dry run does not.
	stale := archive.TempName(filepath.Join(out, "old_9.h5"), fmt.Sprintf("%s-%d-0badf00d", tempfile.Host(), 1<<22+1))
	if err := os.WriteFile(stale, []byte("left by a killed run"), 0o644); err != nil {
		t.Fatal(err)
	}
	before, srcBefore := treeState(t, out), treeState(t, src)

	r := runBin(t, "create", "--dry-run", "-w", "3", "-s", "3000", "--exclude", "*.tmp", src, filepath.Join(out, "new"))
	wantFail(t, "dry run", r, 0)
	for _, w := range []string{"dry run: nothing written", "9 files", "left out by --exclude/--files-from: 2", "new_0.h5", "new_2.h5", "total: about"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("plan does not say %q:\n%s", w, r.stdout)
		}
	}
	r = runBin(t, "create", "--dry-run", "-q", "-w", "3", "--json", "-", src, filepath.Join(out, "old"))
	var p dryPlan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || r.code != 0 || !p.DryRun {
		t.Fatalf("--json -: exit %d, %v, %+v\n%s%s", r.code, err, p, r.stdout, r.stderr)
	}
	if len(p.Archives) != 3 || !p.Archives[0].Exists || p.Archives[0].Path != filepath.Join(out, "old_0.h5") {
		t.Errorf("archives %+v: want old_0..2.h5, existing", p.Archives)
	}
	sameState(t, before, treeState(t, out))
	sameState(t, srcBefore, treeState(t, src))

	// The same plan beside the real run's summary: with every part sampled
	// (16 or fewer) the estimate is the stored bytes; with more, near them.
	for _, c := range []struct {
		split string
		slack float64
	}{{"1000000", 0}, {"3000", 0.15}} {
		args := []string{"-w", "2", "-s", c.split, "--exclude", "*.tmp", src, filepath.Join(out, "real"+c.split)}
		jsonOut := filepath.Join(t.TempDir(), "plan.json")
		mustRun(t, append([]string{"create", "-q", "--dry-run", "--json", jsonOut}, args...)...)
		sameState(t, before, treeState(t, out))
		b, err := os.ReadFile(jsonOut)
		if err != nil {
			t.Fatal(err)
		}
		p = dryPlan{}
		if err := json.Unmarshal(b, &p); err != nil || !p.DryRun {
			t.Fatalf("--json FILE: %v %s", err, b)
		}
		r = runBin(t, append([]string{"create", "-q", "--json", "-"}, args...)...)
		var real struct {
			Files, Parts int64
			RawBytes     int64 `json:"raw_bytes"`
			Archives     []struct {
				Payload int64 `json:"payload_bytes"`
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &real); err != nil || r.code != 0 {
			t.Fatalf("real run: exit %d %v\n%s", r.code, err, r.stderr)
		}
		before = treeState(t, out)
		stored := int64(0)
		for _, a := range real.Archives {
			stored += a.Payload
		}
		if p.Files != real.Files || p.Parts != real.Parts || p.RawBytes != real.RawBytes || p.Excluded != 2 {
			t.Errorf("-s %s: plan %+v, real run %+v", c.split, p, real)
		}
		if d := float64(p.EstimatedStored - stored); d < -2-c.slack*float64(stored) || d > 2+c.slack*float64(stored) {
			t.Errorf("-s %s: estimated %d stored bytes, the run stored %d", c.split, p.EstimatedStored, stored)
		}
	}
}
