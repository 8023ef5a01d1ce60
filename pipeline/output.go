package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/hdf5vault/hdf5vault/archive"
)

// Output is the set of archive files one run writes. Files are written under
// temporary names (archive.TempName, in the same directory) and renamed to
// their final names only when every file of the set is complete, closed and
// synced, so no file ever carries a final name unless complete, and a set is
// never a mix of two runs.
type Output struct {
	Dir   string   // directory of the set
	Base  string   // file name part of ARCHIVE_BASE
	Final []string // final paths, by archive number
	Temp  []string // temporary paths, by archive number

	host   string
	member *regexp.Regexp // any member name of a set with this base
	dirFI  fs.FileInfo    // for Exclude, nil if the directory could not be read
	remove []string       // members of an older set to remove at commit (--force)
}

// NewOutput names the w files of the set ARCHIVE_BASE (base may have a directory).
func NewOutput(base string, w int, zip bool) (*Output, error) {
	dir, name := filepath.Split(base)
	if dir == "" {
		dir = "."
	}
	dir = filepath.Clean(dir)
	if name == "" || name == "." || name == ".." {
		return nil, fmt.Errorf("archive base %q has no file name", base)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("archive directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("archive directory %s: not a directory", dir)
	}
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r == '/' || r == '-' || r == 0 {
			return '_'
		}
		return r
	}, host)
	o := &Output{
		Dir: dir, Base: name, host: host, dirFI: fi,
		member: regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `(_[0-9]+)?\.(h5|zip)$`),
	}
	token := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex())
	for n := range w {
		final := filepath.Join(dir, archive.FileName(name, n, w, zip))
		o.Final = append(o.Final, final)
		o.Temp = append(o.Temp, archive.TempName(final, token))
	}
	return o, nil
}

func randomHex() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Prepare runs before any work. It refuses to replace an existing member of
// a set with this base unless force (then the members this run does not
// rewrite are removed at commit, so no mixed set remains). Temporary files
// of an earlier run are reported through note: removed when their owner (a
// pid on this host) is gone, left alone when it runs on another host, and a
// live owner on this host is an error (two runs would race for the set).
func (o *Output) Prepare(force bool, note func(string)) error {
	ents, err := os.ReadDir(o.Dir)
	if err != nil {
		return fmt.Errorf("archive directory: %w", err)
	}
	final := make(map[string]bool, len(o.Final))
	for _, f := range o.Final {
		final[filepath.Base(f)] = true
	}
	var names []string
	for _, e := range ents {
		name := e.Name()
		switch {
		case o.member.MatchString(name):
			names = append(names, name)
		case archive.IsTempName(name):
			if err := o.stale(name, note); err != nil {
				return err
			}
		}
	}
	var existing []string
	for _, name := range o.olderSet(names, final, note) {
		p := filepath.Join(o.Dir, name)
		existing = append(existing, p)
		if !final[name] {
			o.remove = append(o.remove, p)
		}
	}
	if len(existing) > 0 && !force {
		return fmt.Errorf("refusing to overwrite existing archive %s (use --force to replace the set)", strings.Join(existing, ", "))
	}
	if !force {
		o.remove = nil
	}
	return nil
}

// olderSet picks, among existing names matching the base, those that belong
// to a set with this base: BASE.h5 (or .zip), and BASE_<n> numbered files
// whose group (same digit count and extension) includes number 0, as every
// set does, and every name this run will write. A lone "BASE_1.h5" is more
// likely the single file of base "BASE_1": it is reported and left alone.
func (o *Output) olderSet(names []string, final map[string]bool, note func(string)) []string {
	group := func(name string) (key string, zero bool) {
		m := o.member.FindStringSubmatch(name)
		digits := strings.TrimPrefix(m[1], "_")
		return fmt.Sprint(len(digits), m[2]), digits != "" && strings.Trim(digits, "0") == ""
	}
	hasZero := map[string]bool{}
	for _, n := range names {
		if k, zero := group(n); zero {
			hasZero[k] = true
		}
	}
	var out []string
	for _, n := range names {
		k, _ := group(n)
		if final[n] || strings.HasPrefix(k, "0") || hasZero[k] {
			out = append(out, n)
		} else {
			note(fmt.Sprintf("%s looks like another set's file (no member 0 beside it); left alone", filepath.Join(o.Dir, n)))
		}
	}
	return out
}

// stale handles a temporary file; only those of a set with this base count.
func (o *Output) stale(name string, note func(string)) error {
	inner := strings.TrimSuffix(strings.TrimPrefix(name, "."), archive.TempSuffix)
	i := strings.LastIndexByte(inner, '.')
	if i < 0 || !o.member.MatchString(inner[:i]) {
		return nil
	}
	p := filepath.Join(o.Dir, name)
	host, pid, ok := parseToken(inner[i+1:])
	switch {
	case !ok:
		note(fmt.Sprintf("unrecognised temporary file %s left alone", p))
	case host != o.host:
		note(fmt.Sprintf("temporary file %s belongs to a run on host %s (pid %d); left alone", p, host, pid))
	case alive(pid):
		return fmt.Errorf("another run (pid %d) is writing this archive set: %s exists; wait for it or remove the file if that process is not hdf5vault", pid, p)
	default:
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing stale temporary file: %w", err)
		}
		note(fmt.Sprintf("removed stale temporary file %s (its run, pid %d, is gone)", p, pid))
	}
	return nil
}

// parseToken splits "<host>-<pid>-<random>".
func parseToken(t string) (host string, pid int, ok bool) {
	parts := strings.Split(t, "-")
	if len(parts) != 3 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(parts[1])
	return parts[0], pid, err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Exclude tells the walker to leave out this set's own files (final, older
// members and temporary) when the archive directory lies inside the source.
func (o *Output) Exclude(dir, name string) bool {
	if !o.member.MatchString(name) && !(archive.IsTempName(name) && strings.HasPrefix(name, "."+o.Base)) {
		return false
	}
	fi, err := os.Stat(dir)
	return err == nil && o.dirFI != nil && os.SameFile(fi, o.dirFI)
}

// Commit renames every finished temporary file to its final name, removes
// older members (force), and syncs the directory. If a rename fails, the
// files already renamed are removed too, so no partial set remains.
func (o *Output) Commit() error {
	for i, t := range o.Temp {
		if err := os.Rename(t, o.Final[i]); err != nil {
			for _, f := range o.Final[:i] {
				os.Remove(f)
			}
			o.Cleanup()
			return fmt.Errorf("renaming %s: %w", t, err)
		}
	}
	for _, p := range o.remove {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing member of the older set: %w", err)
		}
	}
	return syncDir(o.Dir)
}

// Cleanup removes whatever temporary files remain (after a failure).
func (o *Output) Cleanup() {
	for _, t := range o.Temp {
		os.Remove(t)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
