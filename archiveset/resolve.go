package archiveset

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/setwriter"
)

// Resolve turns command-line arguments into the member files of one set.
// An argument is either an archive file or a base name: BASE resolves to
// BASE.h5 or BASE_<n>.h5 (or the .zip forms). Temporary names of unfinished
// writes are never members.
func Resolve(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("no archive given")
	}
	var out []string
	for _, a := range args {
		files, err := resolveOne(a)
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	ext := filepath.Ext(out[0])
	for _, f := range out[1:] {
		if filepath.Ext(f) != ext {
			return nil, fmt.Errorf("%s and %s: a set is either .h5 or .zip files, not both", out[0], f)
		}
	}
	return out, nil
}

func resolveOne(a string) ([]string, error) {
	if archive.IsTempName(filepath.Base(a)) {
		return nil, fmt.Errorf("%s: a temporary file of an unfinished write, not an archive", a)
	}
	dir := filepath.Dir(a)
	for _, b := range []string{archive.Stem(a, true), archive.Stem(a, false)} {
		if err := setwriter.Settle(dir, b, notify); err != nil {
			return nil, err
		}
	}
	if st, err := os.Stat(a); err == nil {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", a)
		}
		if !archive.IsArchiveName(a) {
			return nil, fmt.Errorf("%s: not an archive (want .h5 or .zip)", a)
		}
		return []string{a}, nil
	}
	if archive.IsArchiveName(a) {
		return nil, fmt.Errorf("%s: no such archive file", a)
	}
	return resolveBase(a)
}

// resolveBase finds BASE.h5 or BASE_<digits>.h5 (or .zip) next to BASE,
// after finishing a commit of that set that a killed run left unfinished.
func resolveBase(base string) ([]string, error) {
	dir, prefix := filepath.Split(base)
	if prefix == "" {
		return nil, fmt.Errorf("%s: not an archive file or base name", base)
	}
	if dir == "" {
		dir = "."
	}
	if err := setwriter.Settle(filepath.Clean(dir), prefix, notify); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: no archive found: %w", base, err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	members, err := archive.Members(prefix, names)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", base, err)
	}
	if len(members) == 0 {
		return nil, fmt.Errorf("%s: no archive %s.h5, %s_<n>.h5 or .zip found", base, prefix, prefix)
	}
	for i := range members {
		members[i] = filepath.Join(dir, members[i])
	}
	return members, nil
}

// notify tells the user what a reader did to a set (finishing a commit).
func notify(s string) { fmt.Fprintln(os.Stderr, "hdf5vault:", s) }
