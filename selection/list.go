package selection

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/hdf5vault/hdf5vault/archive"
)

// ReadList reads a --files-from list: newline- or NUL-separated entries,
// empty ones skipped. An entry longer than the longest archive path is
// refused, naming it by number.
func ReadList(r io.Reader, null bool) ([]string, error) {
	sep := byte('\n')
	if null {
		sep = 0
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), archive.MaxPath+16)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, sep); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	var out []string
	for sc.Scan() {
		if e := sc.Text(); e != "" {
			out = append(out, e)
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, fmt.Errorf("entry %d is longer than a path can be (%d bytes)%s", len(out)+1, archive.MaxPath, nullHint(null))
	}
	return out, sc.Err()
}

func nullHint(null bool) string {
	if null {
		return ""
	}
	return "; a NUL-separated list needs --null"
}
