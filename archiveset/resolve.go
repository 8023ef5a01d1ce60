package archiveset

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hdf5vault/hdf5vault/archive"
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
	if st, err := os.Stat(a); err == nil {
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", a)
		}
		if !isArchiveName(a) {
			return nil, fmt.Errorf("%s: not an archive (want .h5 or .zip)", a)
		}
		return []string{a}, nil
	}
	if isArchiveName(a) {
		return nil, fmt.Errorf("%s: no such archive file", a)
	}
	return resolveBase(a)
}

func isArchiveName(p string) bool {
	return strings.HasSuffix(p, ".h5") || strings.HasSuffix(p, ".zip")
}

// resolveBase finds BASE.h5 or BASE_<digits>.h5 (or .zip) next to BASE.
func resolveBase(base string) ([]string, error) {
	dir, prefix := filepath.Split(base)
	if prefix == "" {
		return nil, fmt.Errorf("%s: not an archive file or base name", base)
	}
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: no archive found: %w", base, err)
	}
	var single, numbered []string
	for _, e := range entries {
		name := e.Name()
		if archive.IsTempName(name) || !isArchiveName(name) {
			continue
		}
		switch {
		case name == prefix+".h5" || name == prefix+".zip":
			single = append(single, filepath.Join(dir, name))
		case archive.Stem(name, true) == prefix:
			numbered = append(numbered, filepath.Join(dir, name))
		}
	}
	sort.Strings(single)
	sort.Strings(numbered)
	switch {
	case len(single)+len(numbered) == 0:
		return nil, fmt.Errorf("%s: no archive %s.h5, %s_<n>.h5 or .zip found", base, prefix, prefix)
	case len(single) > 1:
		return nil, fmt.Errorf("%s: ambiguous, both %s exist", base, strings.Join(single, " and "))
	case len(single) == 1 && len(numbered) > 0:
		return nil, fmt.Errorf("%s: ambiguous, both %s and set members like %s exist", base, single[0], numbered[0])
	case len(single) == 1:
		return single, nil
	}
	return numbered, nil
}
