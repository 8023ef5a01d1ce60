//go:build !linux

package pipeline

import "io/fs"

// sysStamp is not known here: a file's stamp is its size and mtime only.
func sysStamp(fs.FileInfo) (dev, ino uint64, ctimeNs int64) { return 0, 0, 0 }
