package archive

import (
	"fmt"
	"sort"
	"strings"
)

// Members picks, among the file names of one directory, those a reader takes
// for the set with base name prefix: PREFIX.h5 (or .zip) or PREFIX_<digits>.h5
// (or .zip), never a temporary name. Both a single file and numbered files,
// or both extensions, make the base ambiguous: an error naming them. No
// member at all is (nil, nil). The result is sorted.
func Members(prefix string, names []string) ([]string, error) {
	var single, numbered []string
	for _, name := range names {
		if IsTempName(name) || !IsArchiveName(name) {
			continue
		}
		switch {
		case name == prefix+".h5" || name == prefix+".zip":
			single = append(single, name)
		case Stem(name, true) == prefix:
			numbered = append(numbered, name)
		}
	}
	sort.Strings(single)
	sort.Strings(numbered)
	switch {
	case len(single) > 1:
		return nil, fmt.Errorf("ambiguous, both %s exist", strings.Join(single, " and "))
	case len(single) == 1 && len(numbered) > 0:
		return nil, fmt.Errorf("ambiguous, both %s and set members like %s exist", single[0], numbered[0])
	case len(single) == 1:
		return single, nil
	}
	for _, n := range numbered[min(1, len(numbered)):] {
		if ExtOf(n) != ExtOf(numbered[0]) {
			return nil, fmt.Errorf("ambiguous, both %s and %s exist (a set is either .h5 or .zip files)", numbered[0], n)
		}
	}
	return numbered, nil
}

// IsArchiveName reports whether a file name has an archive's extension.
func IsArchiveName(name string) bool {
	return strings.HasSuffix(name, ".h5") || strings.HasSuffix(name, ".zip")
}

// ExtOf is ".h5" or ".zip" for an archive name, "" otherwise.
func ExtOf(name string) string {
	switch {
	case strings.HasSuffix(name, ".h5"):
		return ".h5"
	case strings.HasSuffix(name, ".zip"):
		return ".zip"
	}
	return ""
}
