package archiveset

import (
	"context"
	"errors"
	"io"

	"github.com/hdf5vault/hdf5vault/archive"
)

// VerifyResult is the outcome of reading a whole set.
type VerifyResult struct {
	Files       int      // files read
	Bytes       int64    // bytes the set holds
	WithSum     int      // files with a stored checksum, compared
	Damaged     []string // one line per damaged file, naming it and the cause
	HasChecksum bool     // whether the archive records checksums at all
}

// Verify reads and decodes every file and compares it with the recorded
// sizes and checksums. Damage (including a layout the open refused) is
// reported in the result; a returned error means the verification could
// not run to the end (an I/O or resource failure, or cancellation), and it
// names the file and the cause.
func (s *Set) Verify(ctx context.Context, workers int) (VerifyResult, error) {
	damage := make([]string, len(s.Files))
	err := s.parallel(ctx, len(s.Files), workers, func(ctx context.Context, r *fileReader, i int) error {
		err := r.copyTo(ctx, &s.Files[i], io.Discard)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, archive.ErrDamaged):
			damage[i] = err.Error()
		case err != nil:
			return err
		}
		return nil
	})
	res := VerifyResult{Files: len(s.Files)}
	for i := range s.Files {
		res.Bytes += s.Files[i].Size
		if s.Files[i].Checksum != nil {
			res.WithSum++
		}
		if damage[i] != "" {
			res.Damaged = append(res.Damaged, damage[i])
		}
	}
	res.HasChecksum = res.WithSum > 0
	return res, err
}
