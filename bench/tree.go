package bench

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TreeStats counts the regular files under dir and their bytes, the way
// create sees a source tree (symbolic links are not followed).
func TreeStats(dir string) (Stats, error) {
	var st Stats
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st.Files++
		st.Bytes += fi.Size()
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("bench: %w", err)
	}
	return st, nil
}

// archiveBytes is the total size of an archive set: BASE.h5, or BASE_<n>.h5
// (and .zip) for several writers.
func archiveBytes(base string) (int64, error) {
	var total int64
	var found bool
	for _, pat := range []string{base + ".h5", base + "_*.h5", base + ".zip", base + "_*.zip"} {
		ms, err := filepath.Glob(pat)
		if err != nil {
			return 0, err
		}
		for _, m := range ms {
			fi, err := os.Stat(m)
			if err != nil {
				return 0, err
			}
			total += fi.Size()
			found = true
		}
	}
	if !found {
		return 0, fmt.Errorf("no archive file %s.h5 or %s_<n>.h5", base, base)
	}
	return total, nil
}
