package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

func TestDamageClassification(t *testing.T) {
	eio := &fs.PathError{Op: "read", Path: "a_0.h5", Err: syscall.EIO}
	for _, tc := range []struct {
		err    error
		damage bool
	}{
		{fmt.Errorf("x: %w", ErrChecksum), true},
		{fmt.Errorf("x: %w", ErrTruncated), true},
		{Damaged(errors.New("bad header")), true},
		{DamagedUnlessFailure(errors.New("libhdf5: bad object header")), true},
		{DamagedUnlessFailure(fmt.Errorf("reading: %w", eio)), false},
		{DamagedUnlessFailure(syscall.EMFILE), false},
		{DamagedUnlessFailure(context.Canceled), false},
		{eio, false},
	} {
		if got := errors.Is(tc.err, ErrDamaged); got != tc.damage {
			t.Errorf("%v: damage %v, want %v", tc.err, got, tc.damage)
		}
	}
	if errors.Is(ErrChecksum, ErrTruncated) || !errors.Is(fmt.Errorf("%w", ErrChecksum), ErrChecksum) {
		t.Error("kinds of damage are not told apart")
	}
	if Damaged(errors.New("m")).Error() != "m" || Damaged(nil) != nil {
		t.Error("Damaged changes the message or makes nil an error")
	}
	if !errors.Is(Damaged(eio), syscall.EIO) {
		t.Error("Damaged hides the cause")
	}
}
