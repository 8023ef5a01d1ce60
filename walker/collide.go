package walker

import "strings"

// Dataset names only ever extend a file's name, by "____part<k>" and/or
// ".blosc2", so two datasets can share a name only when they come from
// siblings, one name being the other plus such a suffix.
const (
	partSep   = "____part"
	blosc2Ext = ".blosc2"
)

// collisions maps each file name of one directory whose dataset name may
// equal a sibling's to the sibling directory it may clash with ("" when the
// clash is with another file, which the writers resolve by placing the two in
// different archive files).
func collisions(files, dirs []child) map[string]string {
	isFile := make(map[string]bool, len(files))
	for _, f := range files {
		isFile[f.name] = true
	}
	var out map[string]string
	mark := func(name, dir string) {
		if out == nil {
			out = make(map[string]string)
		}
		if out[name] == "" {
			out[name] = dir
		}
	}
	for _, f := range files {
		for _, base := range shorterTwins(f.name) {
			if isFile[base] {
				mark(base, "")
				mark(f.name, "")
			}
		}
	}
	for _, d := range dirs {
		for _, base := range shorterTwins(d.name) {
			if isFile[base] {
				mark(base, d.rel)
			}
		}
	}
	return out
}

// shorterTwins lists the names whose dataset name could equal name.
func shorterTwins(name string) []string {
	var twins []string
	if s, ok := strings.CutSuffix(name, blosc2Ext); ok && s != "" {
		twins = append(twins, s)
	}
	for i := 0; ; {
		j := strings.Index(name[i:], partSep)
		if j < 0 {
			break
		}
		if i+j > 0 {
			twins = append(twins, name[:i+j])
		}
		i += j + 1
	}
	return twins
}
