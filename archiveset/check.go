package archiveset

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/selection"
	"github.com/hdf5vault/hdf5vault/walker"
)

// NA marks a checksum that was not computed (the original's spelling).
const NA = "N/A"

// CheckRow is one line of a check: a file on disk, in the archive, or both.
type CheckRow struct {
	Path     string
	SizeOrig int64 // bytes on disk (0 if missing)
	SizeArch int64 // bytes in the archive (0 if not archived)
	MD5Orig  string
	MD5Arch  string
	Chunks   int // parts in the archive (0 if not archived)
	Passed   bool
	Problem  string // why it failed, naming the file
	Damaged  bool   // the failure is damage in the archive, not a difference
	onDisk   bool
	arch     *File // nil if not archived
}

// CheckOptions configure a check.
type CheckOptions struct {
	Workers        int  // files compared in parallel
	FollowSymlinks bool // compare what symlinks point to, as create --follow-symlinks archives it
	// Select, when not empty, restricts both sides to what it selects, as
	// create --exclude and --files-from restricted the set.
	Select *selection.Selection
}

// CheckReport is the outcome of a check.
type CheckReport struct {
	Rows       []CheckRow // sorted by path
	NotChecked []string   // symlinks not followed, special files: on disk, never archived by create
	Members    []string   // the set's own member files found in the directory: the archive itself
}

// Check compares directory dir with the set: every archived file must exist
// on disk with the same size and MD5 (and the stored checksum, when the
// archive records one), and every file on disk must be archived. The
// directory is walked as create walks a source, so the same files count:
// the set's own members inside it are the archive, not extra files.
// A returned error means the check could not run.
func (s *Set) Check(ctx context.Context, dir string, o CheckOptions) (*CheckReport, error) {
	rep := &CheckReport{}
	disk := map[string]int64{}
	progress := progressOf(ctx)
	progress.Begin("scanning "+dir, 0, 0)
	own := s.ownMembers()
	if err := s.Select(ctx, o.Select); err != nil {
		return nil, err
	}
	wo := walker.Options{FollowSymlinks: o.FollowSymlinks, Keep: keep(o.Select), Exclude: func(d, name string) bool {
		if own(d, name) {
			rep.Members = append(rep.Members, filepath.Join(d, name))
			return true
		}
		return false
	}}
	st, err := walker.Walk(ctx, dir, wo, func(e walker.Entry) error {
		disk[e.Rel] = e.Size
		progress.Add(1, 0)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.NotChecked = append(rep.NotChecked, st.Symlinks...)
	for _, sk := range st.Special {
		rep.NotChecked = append(rep.NotChecked, sk.Path)
	}
	if rep.Rows, err = s.checkRows(ctx, disk); err != nil {
		return nil, err
	}
	err = s.parallel(ctx, len(rep.Rows), o.Workers, func(ctx context.Context, r *fileReader, i int) error {
		return s.checkRow(ctx, r, dir, &rep.Rows[i])
	})
	return rep, err
}

func keep(sel *selection.Selection) func(rel string, dir bool) bool {
	if sel.Empty() {
		return nil
	}
	return sel.Keep
}

// ownMembers tells whether a directory entry is one of the set's member
// files. create leaves its own set out when the archive lies inside the
// source, so check must leave it out too rather than call it "not in the
// archive". Members are matched by identity (device and inode), not by name.
func (s *Set) ownMembers() func(dir, name string) bool {
	byName := map[string][]os.FileInfo{}
	for _, m := range s.Members {
		if fi, err := os.Stat(m.Path); err == nil {
			n := filepath.Base(m.Path)
			byName[n] = append(byName[n], fi)
		}
	}
	return func(dir, name string) bool {
		want := byName[name]
		if len(want) == 0 {
			return false
		}
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return false
		}
		for _, m := range want {
			if os.SameFile(fi, m) {
				return true
			}
		}
		return false
	}
}

// checkRows makes one row per path on disk or in the archive.
func (s *Set) checkRows(ctx context.Context, disk map[string]int64) ([]CheckRow, error) {
	rows := make([]CheckRow, 0, len(disk))
	seen := 0
	err := s.Walk(ctx, func(f *File) error {
		size, ok := disk[f.Path]
		if ok {
			seen++
		}
		rows = append(rows, CheckRow{Path: f.Path, SizeOrig: size, MD5Orig: NA, MD5Arch: NA, onDisk: ok, arch: f})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if seen < len(disk) {
		archived := make(map[string]bool, len(rows))
		for i := range rows {
			archived[rows[i].Path] = true
		}
		for p, size := range disk {
			if !archived[p] {
				rows = append(rows, CheckRow{Path: p, SizeOrig: size, MD5Orig: NA, MD5Arch: NA, onDisk: true})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	return rows, nil
}

func (s *Set) checkRow(ctx context.Context, r *fileReader, dir string, row *CheckRow) error {
	full := filepath.Join(dir, filepath.FromSlash(row.Path))
	f := row.arch
	if f != nil {
		row.Chunks = len(f.Parts)
		row.SizeArch = f.Size
	}
	switch {
	case f == nil:
		row.Problem = fmt.Sprintf("%s: on disk but not in the archive", full)
		return nil
	case !row.onDisk:
		row.Problem = fmt.Sprintf("%s: archived but missing on disk", full)
		return nil
	}
	disk, err := digestDisk(full, f.Checksum != nil)
	if err != nil {
		row.Problem = fmt.Sprintf("%s: %v", full, err)
		return nil
	}
	row.SizeOrig, row.MD5Orig = disk.size, hex.EncodeToString(disk.md5)
	arch, err := r.digest(ctx, f, true)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, archive.ErrDamaged):
		row.Problem = fmt.Sprintf("%s: archive unreadable: %v", row.Path, err)
		row.Damaged = true
		return nil
	case err != nil:
		return err // the archive could not be read: no verdict on the file
	}
	row.SizeArch, row.MD5Arch = arch.size, hex.EncodeToString(arch.md5)
	row.Problem, row.Damaged = compare(full, f, disk, arch)
	row.Passed = row.Problem == ""
	return nil
}

// compare names the first difference between the disk file and the
// archive, and whether it is damage in the archive.
func compare(full string, f *File, disk, arch digest) (problem string, damaged bool) {
	switch {
	case f.Checksum != nil && !bytes.Equal(arch.sum, f.Checksum):
		// The archive disagrees with itself: damage, whatever the disk holds.
		return fmt.Sprintf("%s: the archived data does not match the stored checksum: damaged archive", full), true
	case disk.size != arch.size:
		return fmt.Sprintf("%s: size %d on disk, %d in the archive", full, disk.size, arch.size), false
	case !bytes.Equal(disk.md5, arch.md5):
		return fmt.Sprintf("%s: MD5 %x on disk, %x in the archive", full, disk.md5, arch.md5), false
	case f.Checksum != nil && !bytes.Equal(disk.sum, f.Checksum):
		return fmt.Sprintf("%s: checksum %x on disk, %x stored in the archive", full, disk.sum, f.Checksum), false
	}
	return "", false
}

// Archived totals the rows' archived files: their count, parts, bytes,
// payload bytes, and how many of them had a stored checksum compared.
func (r *CheckReport) Archived() (files, parts int, raw, stored int64, checksums int) {
	for i := range r.Rows {
		f := r.Rows[i].arch
		if f == nil {
			continue
		}
		files++
		parts += len(f.Parts)
		raw += f.Size
		stored += f.Stored
		if f.Checksum != nil && r.Rows[i].MD5Arch != NA {
			checksums++
		}
	}
	return files, parts, raw, stored, checksums
}
