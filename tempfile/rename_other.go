//go:build !linux

package tempfile

// renameat2 is Linux's; elsewhere the caller links and unlinks.
func renameat2(from, to string) (done bool, err error) { return false, nil }
