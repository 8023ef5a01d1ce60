package h5sink

import (
	"errors"
	"syscall"
	"testing"

	"github.com/hdf5vault/hdf5vault/archive"
)

func TestLibErrno(t *testing.T) {
	msg := "H5Fopen: unable to open file: name = 'a.h5', errno = 24, error message = 'Too many open files', flags = 0"
	if got := libErrno(msg); got != syscall.EMFILE {
		t.Errorf("libErrno = %v, want EMFILE", got)
	}
	for _, m := range []string{"bad object header", "errno = 0, x", "errno = ", "errno = x"} {
		if got := libErrno(m); got != 0 {
			t.Errorf("libErrno(%q) = %v, want none", m, got)
		}
	}
	err := error(&sysError{msg: msg, errno: syscall.EMFILE})
	if !errors.Is(err, syscall.EMFILE) || err.Error() != "H5Fopen: unable to open file: too many open files (errno = 24)" {
		t.Errorf("sysError %q does not carry EMFILE in one short line", err)
	}
	// What a probe child sends back parses to the same failure.
	if back := childError(err.Error()); !errors.Is(back, syscall.EMFILE) || errors.Is(back, archive.ErrDamaged) {
		t.Errorf("childError(%q) = %v, want EMFILE, not damage", err.Error(), back)
	}
	eio := "H5Fopen: file read failed: time = Mon Nov 30 16:22:05 2026\n, filename = 'e.h5', file descriptor = 8, errno = 5, error message = 'Input/output error', buf = 0x7fff"
	if got := (&sysError{msg: eio, errno: syscall.EIO}).Error(); got != "H5Fopen: file read failed: input/output error (errno = 5)" {
		t.Errorf("EIO message %q", got)
	}
	if back := childError("bad object header"); !errors.Is(back, archive.ErrDamaged) {
		t.Errorf("childError without an errno = %v, want damage", back)
	}
}
