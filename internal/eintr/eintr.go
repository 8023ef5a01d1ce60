//go:build unix

// Package eintr repeats a system call that a signal interrupted. Go's
// runtime sends signals to its own threads (preemption), so a raw call
// made outside the os package can fail with EINTR at any time.
package eintr

import "golang.org/x/sys/unix"

// Retry calls call until it fails with something other than EINTR.
func Retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != unix.EINTR {
			return n, err
		}
	}
}
