package pipeline

import (
	"io/fs"
	"syscall"
)

// sysStamp is the part of a file's stamp only the system's stat gives: the
// inode change time, which every write moves (and which, unlike the
// modification time, nobody can put back), and the file's identity.
func sysStamp(fi fs.FileInfo) (dev, ino uint64, ctimeNs int64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0
	}
	return st.Dev, st.Ino, st.Ctim.Nano()
}
