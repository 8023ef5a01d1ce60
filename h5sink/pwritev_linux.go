package h5sink

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/hdf5vault/hdf5vault/internal/eintr"
)

// writeVec writes bufs back to back at off with as few pwritev calls as the
// kernel allows. It returns how many bytes were written before an error.
func writeVec(f *os.File, bufs [][]byte, off int64) (int64, error) {
	var done int64
	fd := int(f.Fd())
	for len(bufs) > 0 {
		n, err := eintr.Retry(func() (int, error) { return unix.Pwritev(fd, bufs[:min(len(bufs), maxIovecs)], off+done) })
		if err != nil {
			return done, &fs.PathError{Op: "write", Path: f.Name(), Err: err}
		}
		if n == 0 {
			return done, &fs.PathError{Op: "write", Path: f.Name(), Err: unix.EIO}
		}
		done += int64(n)
		bufs = advance(bufs, n)
	}
	return done, nil
}

// maxIovecs is the kernel's limit on one call's buffers (IOV_MAX).
const maxIovecs = 1024

// advance drops the first n bytes of bufs; a partly written buffer keeps
// its rest.
func advance(bufs [][]byte, n int) [][]byte {
	for n > 0 && len(bufs) > 0 {
		if n < len(bufs[0]) {
			bufs[0] = bufs[0][n:]
			return bufs
		}
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	return bufs
}
