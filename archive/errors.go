package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// ErrDamaged is what every damage error matches with errors.Is: the archive's
// bytes are wrong (bit rot, truncation, a hostile or inconsistent index or
// layout), as opposed to a failure to read them (an I/O or resource error,
// which may go away on a retry). Commands exit 3 on damage, 1 on failure.
var ErrDamaged = errors.New("damaged archive")

// Kinds of damage; each matches ErrDamaged.
var (
	ErrChecksum  = &damageKind{"checksum mismatch: damaged archive"}
	ErrTruncated = &damageKind{"the file ends early: truncated archive"}
)

type damageKind struct{ msg string }

func (k *damageKind) Error() string        { return k.msg }
func (k *damageKind) Is(target error) bool { return target == ErrDamaged }

// Damaged marks err as damage, keeping its message; nil stays nil.
func Damaged(err error) error {
	if err == nil || errors.Is(err, ErrDamaged) {
		return err
	}
	return &damage{err}
}

type damage struct{ err error }

func (d *damage) Error() string        { return d.err.Error() }
func (d *damage) Unwrap() error        { return d.err }
func (d *damage) Is(target error) bool { return target == ErrDamaged }

// DamagedUnlessFailure classifies an error from a container reader, whose
// libraries report bad bytes as plain errors: an operating-system error
// (EIO, EMFILE, ENOMEM, EACCES, ENOSPC … as a syscall.Errno) and
// cancellation stay failures, anything else is damage.
func DamagedUnlessFailure(err error) error {
	if err == nil || IsFailure(err) {
		return err
	}
	return Damaged(err)
}

// IsFailure reports whether err is an operating-system error or a
// cancellation rather than damage.
func IsFailure(err error) bool {
	var errno syscall.Errno
	return !errors.Is(err, ErrDamaged) && (errors.As(err, &errno) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// PutError is a Writer's failure to store one dataset, with the file being
// written and the dataset kept apart from the cause, so that a caller who
// knows more (the source file, the member's final name) says each once.
type PutError struct {
	File    string // the file being written
	Dataset string
	Err     error
}

func (e *PutError) Error() string {
	return fmt.Sprintf("%s: dataset %q: %v", e.File, e.Dataset, e.Reason())
}

func (e *PutError) Unwrap() error { return e.Err }

// Reason is the cause without File repeated: an operating-system error on
// File ("write FILE: file too large") reads "write: file too large". It
// unwraps to Err.
func (e *PutError) Reason() error {
	var pe *fs.PathError
	if errors.As(e.Err, &pe) && pe.Path == e.File {
		msg := strings.Replace(e.Err.Error(), pe.Op+" "+pe.Path+": ", pe.Op+": ", 1)
		return &reason{msg: msg, err: e.Err}
	}
	return e.Err
}

type reason struct {
	msg string
	err error
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.err }
