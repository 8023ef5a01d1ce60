package h5sink

import (
	"errors"
	"syscall"
	"testing"
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
	if !errors.Is(err, syscall.EMFILE) || err.Error() != msg {
		t.Errorf("sysError %v does not carry EMFILE", err)
	}
}
