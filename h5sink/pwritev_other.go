//go:build !linux

package h5sink

import "os"

// writeVec writes bufs back to back at off, one WriteAt each. It returns
// how many bytes were written before an error.
func writeVec(f *os.File, bufs [][]byte, off int64) (int64, error) {
	var done int64
	for _, b := range bufs {
		n, err := f.WriteAt(b, off+done)
		done += int64(n)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
