package setwriter

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
)

// checkNames refuses, before any work, a run whose files would replace
// anything but a member of an existing set with this base (and that only
// with --force, outside the source, when it is an archive file), or whose
// names would make this or another set's base resolve to other files than
// its own (verify BASE must find exactly one set).
func (s *Set) checkNames(names []string) error {
	pre := sets(names)
	old := pre[s.Base]
	present := map[string]bool{}
	for _, n := range names {
		present[n] = true
	}
	var finals []string
	for _, f := range s.Final {
		n := filepath.Base(f)
		finals = append(finals, n)
		if present[n] && !slices.Contains(old, n) {
			return fmt.Errorf("%s exists and is not a member of a set %s%s; choose another base", f,
				filepath.Join(s.Dir, s.Base), ownerNote(pre, n, s.Dir))
		}
	}
	if len(old) > 0 {
		if err := s.mayReplace(old); err != nil {
			return err
		}
	}
	post := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(old, n) })
	post = append(post, finals...)
	if got, err := archive.Members(s.Base, post); err != nil || !slices.Equal(got, sorted(finals)) {
		why := "it would also find " + strings.Join(without(got, finals), ", ")
		if err != nil {
			why = err.Error()
		}
		return fmt.Errorf("set %s would not resolve to this run's files alone (%s): choose another base", filepath.Join(s.Dir, s.Base), why)
	}
	// Only a base a changed name can resolve to may change (a directory of
	// many sets is not resolved once per set).
	affected := map[string]bool{}
	for _, n := range append(slices.Clone(finals), old...) {
		affected[archive.Stem(n, true)], affected[archive.Stem(n, false)] = true, true
	}
	for b := range affected {
		if _, ok := pre[b]; !ok || b == s.Base {
			continue
		}
		before, err := archive.Members(b, names)
		if err != nil {
			continue // already ambiguous: not this run's doing
		}
		if after, err := archive.Members(b, post); err != nil || !slices.Equal(before, after) {
			return fmt.Errorf("set %s (%s) and this run's %s would collide: the base %s would no longer name its set alone; choose another base",
				filepath.Join(s.Dir, b), strings.Join(before, ", "), strings.Join(finals, ", "), filepath.Join(s.Dir, b))
		}
	}
	s.old = old
	return nil
}

// mayReplace allows replacing the existing members only with --force, only
// outside the source tree and only when each is an archive file.
func (s *Set) mayReplace(old []string) error {
	var paths []string
	for _, n := range old {
		paths = append(paths, filepath.Join(s.Dir, n))
	}
	if !s.opts.Force {
		return fmt.Errorf("refusing to overwrite existing archive %s (use --force to replace the set)", strings.Join(paths, ", "))
	}
	if s.opts.Source != "" && Inside(s.Dir, s.opts.Source) {
		return fmt.Errorf("refusing to replace %s: it lies inside the source %s, whose files --force never replaces; choose a base outside it",
			strings.Join(paths, ", "), s.opts.Source)
	}
	for _, p := range paths {
		if err := sniff(p); err != nil {
			return fmt.Errorf("refusing to replace %s with --force: %w", p, err)
		}
	}
	return nil
}

// sets groups the archive names of a directory into the sets they form:
// numbered files (same stem, digit count and extension) with a member 0,
// which every set has, and otherwise single files; by base name.
func sets(names []string) map[string][]string {
	type key struct {
		stem   string
		digits int
		ext    string
	}
	groups, zero := map[key][]string{}, map[key]bool{}
	out := map[string][]string{}
	for _, n := range names {
		if archive.IsTempName(n) || !archive.IsArchiveName(n) {
			continue
		}
		stem, whole := archive.Stem(n, true), archive.Stem(n, false)
		if stem == whole {
			out[whole] = append(out[whole], n)
			continue
		}
		digits := whole[len(stem)+1:]
		k := key{stem, len(digits), archive.ExtOf(n)}
		groups[k] = append(groups[k], n)
		zero[k] = zero[k] || strings.Trim(digits, "0") == ""
	}
	for k, g := range groups {
		for _, n := range g {
			b := archive.Stem(n, false) // a lone "x_1.h5" is more likely the set "x_1"
			if zero[k] {
				b = k.stem
			}
			out[b] = append(out[b], n)
		}
	}
	for b := range out {
		slices.Sort(out[b])
	}
	return out
}

func ownerNote(pre map[string][]string, name, dir string) string {
	for b, m := range pre {
		if slices.Contains(m, name) {
			return fmt.Sprintf(" (it belongs to the set %s: %s)", filepath.Join(dir, b), strings.Join(m, ", "))
		}
	}
	return ""
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func without(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(n string) bool { return slices.Contains(b, n) })
}

// errNotArchive marks an existing file under a member name that is no
// archive: --force does not replace it.
var errNotArchive = errors.New("not an HDF5 or zip file")

// sniff checks that p is a regular file starting like an HDF5 or zip
// archive (the HDF5 signature may follow a user block of 512·2^k bytes).
func sniff(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return errNotArchive
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 8)
	if archive.ExtOf(p) == ".zip" {
		if _, err := f.ReadAt(head[:4], 0); err == nil && (string(head[:4]) == "PK\x03\x04" || string(head[:4]) == "PK\x05\x06") {
			return nil
		}
		return errNotArchive
	}
	for off := int64(0); off <= 1<<16; off = max(512, off*2) {
		if _, err := f.ReadAt(head, off); err != nil {
			break
		}
		if bytes.Equal(head, []byte("\x89HDF\r\n\x1a\n")) {
			return nil
		}
	}
	return errNotArchive
}

// Inside reports whether path lies in root or below it, symlinks resolved.
func Inside(path, root string) bool {
	p, err1 := filepath.EvalSymlinks(path)
	r, err2 := filepath.EvalSymlinks(root)
	if err1 != nil || err2 != nil {
		p, r = filepath.Clean(path), filepath.Clean(root)
	}
	p, _ = filepath.Abs(p)
	r, _ = filepath.Abs(r)
	rel, err := filepath.Rel(r, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
