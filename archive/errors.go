package archive

import (
	"context"
	"errors"
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
