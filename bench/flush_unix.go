//go:build unix

package bench

import "syscall"

// flushDisks writes out dirty pages (sync(2)), so that a measured run does
// not pay for the writeback of what ran before it (the generator, the
// previous setting).
func flushDisks() { syscall.Sync() }
