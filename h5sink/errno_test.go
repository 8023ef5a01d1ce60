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

// TestErrnoInNames: a file named like libhdf5's errno field does not turn
// damage into an I/O failure, in this process or through a probe child's
// message; libhdf5's own field after such a name still counts.
func TestErrnoInNames(t *testing.T) {
	path := "/a/x, errno = 5, error message = 'Input/output error', y.h5"
	damage := "H5Fopen: unable to open file: name = '" + path + "', tent_flags = 0"
	if err := libError(damage, path); errors.Is(err, syscall.EIO) {
		t.Errorf("damage to a file named like an errno is %v", err)
	}
	real := "H5Fopen: unable to open file: name = '" + path + "', errno = 24, error message = 'Too many open files', flags = 0"
	if err := libError(real, path); !errors.Is(err, syscall.EMFILE) {
		t.Errorf("libhdf5's errno after the name: %v, want EMFILE", err)
	}
	if got := libErrno(real); got != syscall.EMFILE {
		t.Errorf("libErrno without the path = %v, want the last field's EMFILE", got)
	}
	for _, m := range []string{"x, errno = 5", "x, errno = 5, y", ", errno = 99999, error message = 'x'"} {
		if got := libErrno(m); got != 0 {
			t.Errorf("libErrno(%q) = %v, want none", m, got)
		}
	}
	// A child's message names the file before libhdf5's words: only an
	// errno at the very end, where sysError puts it, is one.
	for _, m := range []string{
		"h5sink: open /a/b (errno = 5).h5: not a readable HDF5 file (truncated or damaged?): H5Fopen: file signature not found (Not an HDF5 file)",
		"h5sink: open /a/b.h5: bad (errno = 5) x",
	} {
		if back := childError(m); !errors.Is(back, archive.ErrDamaged) || errors.Is(back, syscall.EIO) {
			t.Errorf("childError(%q) = %v, want damage", m, back)
		}
	}
	if back := childError("h5sink: open /a/b (errno = 5).h5: H5Fopen: unable to open file: too many open files (errno = 24)"); !errors.Is(back, syscall.EMFILE) {
		t.Errorf("childError with a trailing errno = %v, want EMFILE", back)
	}
}
