package h5sink

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing f's dirty pages to disk
// without waiting for them. Finish must fsync anyway; doing the bulk of the
// write-back while the run still compresses makes that fsync short instead of
// a pause at the end of every run. Errors are ignored: fsync reports them.
func startWriteback(f *os.File) {
	_ = unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
}
