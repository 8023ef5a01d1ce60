package h5sink

// #cgo pkg-config: hdf5
// #include <stdlib.h>
// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/hdf5vault/hdf5vault/archive"
)

// errBuf receives the shim's description of a failure.
type errBuf [C.HV_ERRLEN]C.char

func (e *errBuf) ptr() *C.char { return &e[0] }

func (e *errBuf) err() error { return e.errAbout("") }

// errAbout is err for a call on the file at path: the path (any bytes a
// file may be named with) is left out when the message is searched for
// an operating-system error, so that a damaged file named like
// "x, errno = 5, error message = 'y'.h5" is damage, not an I/O failure.
func (e *errBuf) errAbout(path string) error { return libError(C.GoString(e.ptr()), path) }

// libError is errAbout's error for libhdf5's message s.
func libError(s, path string) error {
	if s == "" {
		s = "libhdf5 call failed"
	}
	search := s
	if path != "" {
		search = strings.ReplaceAll(s, path, "")
	}
	if n := libErrno(search); n != 0 {
		return &sysError{msg: s, errno: n}
	}
	return errors.New(s)
}

// libErrno finds the operating-system error libhdf5 reports in its message
// (", errno = 24, error message = '...'", after the file's name), so that
// callers can tell an I/O or resource failure from a damaged file with
// errors.As(err, *syscall.Errno). Only the last such field counts: one in
// a name comes before libhdf5's own.
func libErrno(msg string) syscall.Errno {
	const field, next = ", errno = ", ", error message = '"
	i := strings.LastIndex(msg, field)
	if i < 0 {
		return 0
	}
	digits, rest := leadingDigits(msg[i+len(field):])
	if !strings.HasPrefix(rest, next) {
		return 0
	}
	return errnoOf(digits)
}

// leadingDigits splits s after its leading decimal digits.
func leadingDigits(s string) (digits, rest string) {
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(s)
	}
	return s[:end], s[end:]
}

// errnoOf is the positive errno the digits spell, or 0.
func errnoOf(digits string) syscall.Errno {
	n, err := strconv.Atoi(digits)
	if err != nil || n <= 0 || n > 4095 {
		return 0
	}
	return syscall.Errno(n)
}

// sysError is libhdf5's message with the operating-system error it names.
type sysError struct {
	msg   string
	errno syscall.Errno
}

// Error is libhdf5's failing call and reason with the operating system's
// error, without the details libhdf5 adds (time, buffer address, sizes,
// spread over lines); "errno = N" stays so that a probe child's message
// parses back to the same error in the parent.
func (e *sysError) Error() string {
	head := e.msg
	if i := strings.Index(head, " = "); i >= 0 {
		head = head[:i]
		if j := max(strings.LastIndex(head, ": "), strings.LastIndex(head, ", ")); j >= 0 {
			head = head[:j]
		}
	}
	return fmt.Sprintf("%s: %v (errno = %d)", strings.TrimSpace(head), e.errno, int(e.errno))
}

func (e *sysError) Unwrap() error { return e.errno }

// classify marks an error libhdf5 reported as damage unless it names an
// operating-system error (an I/O or resource failure).
func classify(err error) error {
	return archive.DamagedUnlessFailure(err)
}

// childError is the error a probe child reported as text: a failure when
// it names an operating-system error, damage otherwise.
func childError(msg string) error {
	if n := trailingErrno(msg); n != 0 {
		return &sysError{msg: msg, errno: n}
	}
	return archive.Damaged(errors.New(msg))
}

// trailingErrno is the errno that sysError.Error puts at the very end of
// its message ("(errno = 24)"), where no file name reaches; 0 if absent.
func trailingErrno(msg string) syscall.Errno {
	const open = "(errno = "
	rest, ok := strings.CutSuffix(msg, ")")
	i := strings.LastIndex(rest, open)
	if !ok || i < 0 {
		return 0
	}
	digits, tail := leadingDigits(rest[i+len(open):])
	if tail != "" {
		return 0
	}
	return errnoOf(digits)
}

// cstr returns s as a C string and the function that frees it.
func cstr(s string) (*C.char, func()) {
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}

func closeID(id C.hid_t) {
	if id >= 0 {
		C.hv_close(id)
	}
}

// readAttrStr reads a string attribute of loc; ok is false when it is absent.
func readAttrStr(loc C.hid_t, name string) (val string, ok bool, err error) {
	ok, err = withAttrStr(loc, name, func(b []byte) { val = string(b) })
	return val, ok, err
}

// strPlace is where a string attribute's value lies, as hv_read_attr_ref
// reports it.
type strPlace struct {
	absent bool
	kind   int     // C.HV_STR_VLEN, HV_STR_FIXED or HV_STR_OTHER
	ref    vlenRef // HV_STR_VLEN
	fixed  int64   // HV_STR_FIXED: its size in bytes
}

// readAttrPlace says where a string attribute of loc lies, reading no more
// than its reference.
func readAttrPlace(loc C.hid_t, name string) (strPlace, error) {
	n, free := cstr(name)
	defer free()
	var e errBuf
	var kind C.int
	var ref [16]C.uchar
	var fixed C.int64_t
	switch C.hv_read_attr_ref(loc, n, &kind, &ref[0], &fixed, e.ptr()) {
	case 1:
		return strPlace{absent: true}, nil
	case 0:
		b := C.GoBytes(unsafe.Pointer(&ref[0]), 16)
		return strPlace{kind: int(kind), ref: parseVlenRef(b), fixed: int64(fixed)}, nil
	}
	return strPlace{}, e.err()
}

// withAttrStr hands a string attribute of loc, in libhdf5's buffer, to fn;
// ok is false when it is absent.
func withAttrStr(loc C.hid_t, name string, fn func([]byte)) (ok bool, err error) {
	n, free := cstr(name)
	defer free()
	var e errBuf
	var p *C.char
	var l C.size_t
	switch C.hv_read_attr_str(loc, n, &p, &l, e.ptr()) {
	case 1:
		return false, nil
	case 0:
		defer C.H5free_memory(unsafe.Pointer(p))
		fn(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(l)))
		return true, nil
	}
	return false, e.err()
}

// readAttrInt reads an integer attribute of loc; ok is false when it is absent.
func readAttrInt(loc C.hid_t, name string) (val int64, ok bool, err error) {
	n, free := cstr(name)
	defer free()
	var e errBuf
	var v C.int64_t
	switch C.hv_read_attr_i64(loc, n, &v, e.ptr()) {
	case 1:
		return 0, false, nil
	case 0:
		return int64(v), true, nil
	}
	return 0, false, e.err()
}

// writeAttrStr writes a string attribute of loc. With nul (a NUL byte
// follows val in memory) val goes to libhdf5 where it is, without a C copy:
// a Go pointer to memory without pointers may be passed for a call.
func writeAttrStr(loc C.hid_t, name, val string, nul bool) error {
	if strings.IndexByte(val, 0) >= 0 {
		return fmt.Errorf("attribute %s: value contains a NUL byte", name)
	}
	n, free := cstr(name)
	defer free()
	var v *C.char
	if nul && len(val) > 0 {
		p := unsafe.Pointer(unsafe.StringData(val))
		if *(*byte)(unsafe.Add(p, len(val))) != 0 {
			return fmt.Errorf("attribute %s: value not followed by a NUL byte", name)
		}
		v = (*C.char)(p)
	} else {
		var freeV func()
		v, freeV = cstr(val)
		defer freeV()
	}
	var e errBuf
	if C.hv_attr_str(loc, n, v, e.ptr()) < 0 {
		return e.err()
	}
	return nil
}

func writeAttrInt(loc C.hid_t, name string, val int64) error {
	n, free := cstr(name)
	defer free()
	var e errBuf
	if C.hv_attr_i64(loc, n, C.int64_t(val), e.ptr()) < 0 {
		return e.err()
	}
	return nil
}
