package archiveset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/zeebo/xxh3"

	"github.com/hdf5vault/hdf5vault/archive"
)

// VerifyResult is the outcome of reading a whole set.
type VerifyResult struct {
	Files       int      // files read
	Bytes       int64    // bytes the set holds
	Parts       int      // parts read
	Stored      int64    // their payload bytes
	WithSum     int      // files with a stored checksum, compared
	Damaged     []string // one line per damaged file, naming it and the cause
	HasChecksum bool     // whether the archive records checksums at all
	// NotCReadable lists the files, read and intact, with a part C-Blosc2
	// cannot read (a dictionary over its limit, written by create -d
	// before it kept to it): one line per file, naming the part.
	NotCReadable []string
}

// Verify reads and decodes every file and compares it with the recorded
// sizes and checksums. Damage (including a layout the open refused, a
// damaged side index copy or payloads claiming the same bytes) is reported
// in the result; a returned error means the verification could not run to
// the end (an I/O or resource failure, or cancellation), and it names the
// file and the cause.
func (s *Set) Verify(ctx context.Context, workers int) (VerifyResult, error) {
	var (
		mu  sync.Mutex
		res VerifyResult
	)
	found := findingsOf(ctx)
	var err error
	if res.Damaged, err = s.sideDamage(); err != nil {
		return res, err
	}
	for _, d := range res.Damaged {
		found(Finding{Kind: FindingDamaged, Err: errors.New(d)})
	}
	// The walk that hands out the files gathers their byte ranges for the
	// overlap check (CheckSpans), so the side index is decoded once.
	var walked func(*File)
	var claims *spans
	if s.Side != nil {
		claims = s.newSpans()
		walked = claims.add
	}
	err = s.fanFiles(ctx, "", workers, func(ctx context.Context, r *fileReader, f *File) error {
		var cdict error
		r.cdict = func(_ *Part, err error) {
			if cdict == nil {
				cdict = err
			}
		}
		err := r.copyTo(ctx, f, io.Discard)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !errors.Is(err, archive.ErrDamaged):
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		res.Files++
		res.Bytes += f.Size
		res.Parts += len(f.Parts)
		res.Stored += f.Stored
		if f.Checksum != nil {
			res.WithSum++
		}
		if err != nil {
			res.Damaged = append(res.Damaged, err.Error())
			found(Finding{Kind: FindingDamaged, Path: f.Path, Err: err})
		} else if cdict != nil {
			res.NotCReadable = append(res.NotCReadable, fmt.Sprintf("%s: %v", f.Path, cdict))
		}
		return nil
	}, walked)
	if err == nil && claims != nil {
		err = claims.check()
	}
	if errors.Is(err, archive.ErrSideIndex) {
		found(Finding{Kind: FindingDamaged, Err: err})
		res.Damaged, err = append(res.Damaged, err.Error()), nil
	}
	sort.Strings(res.Damaged)
	sort.Strings(res.NotCReadable)
	res.HasChecksum = res.WithSum > 0
	return res, err
}

// sideDamage checks every block of every copy of the side index and the
// JSON index beside it; one line per finding. An I/O or resource failure
// on the way ends the check with an error. (Verify checks that no two
// payloads claim the same bytes as it reads them.)
func (s *Set) sideDamage() ([]string, error) {
	var out []string
	if s.SideNote != "" && s.Side == nil {
		out = append(out, s.SideNote)
	}
	if s.Side == nil {
		return out, nil
	}
	for i, x := range append([]*archive.SideIndex{s.Side}, s.Side.Copies...) {
		err := x.CheckBlocks()
		if archive.IsFailure(err) {
			return out, fmt.Errorf("%s: side index: %w", s.sideOwners[i], err)
		}
		if err != nil {
			out = append(out, fmt.Sprintf("side index copy %d of %d, in %s: %v", i+1, 1+len(s.Side.Copies), s.sideOwners[i], err))
		}
	}
	if s.SideNote != "" {
		out = append(out, s.SideNote)
	}
	// Every member's JSON index, of any size: it is measured before it is
	// read and hashed as it streams by, so it costs a read, not memory.
	for _, m := range s.Members {
		if m == nil {
			continue
		}
		err := s.checkJSON(m)
		if archive.IsFailure(err) {
			return out, err
		}
		if err != nil {
			out = append(out, err.Error())
		}
	}
	return out, nil
}

// checkJSON compares a member's JSON index, which our readers of a set
// with a side index never use but the original's readers need, with the
// digest the side index recorded when both were written.
func (s *Set) checkJSON(m *Member) error {
	if err := s.checkJSONLen(m); err != nil {
		return err
	}
	sum, err := infoSum(m.R)
	if err != nil {
		return fmt.Errorf("%s: the JSON index %s is unreadable: %w", m.Path, archive.AttrInfo, err)
	}
	if sum != s.Side.Header.InfoSum {
		return fmt.Errorf("%s: the JSON index %s differs from the one written: damaged (hdf5vault reads the side index; h5py readers need the JSON)", m.Path, archive.AttrInfo)
	}
	return nil
}

// checkJSONLen refuses, before reading a byte of it, a JSON index longer
// than the side index's files and parts can need (archive.MaxIndexJSON):
// a padded index would otherwise be read whole to be found different.
func (s *Set) checkJSONLen(m *Member) error {
	st, ok := m.R.(archive.InfoStreamer)
	if !ok {
		return nil
	}
	_, n, err := st.InfoReader()
	if err != nil {
		return fmt.Errorf("%s: the JSON index %s is unreadable: %w", m.Path, archive.AttrInfo, err)
	}
	h := &s.Side.Header
	if limit := archive.MaxIndexJSON(h.Files, h.Parts); n > limit {
		return fmt.Errorf("%s: the JSON index %s holds %d bytes, more than the set's %d files (%d parts) can need (%d): damaged", m.Path, archive.AttrInfo, n, h.Files, h.Parts, limit)
	}
	return nil
}

// infoSum is the XXH3-64 of a member's JSON index, hashed in place when
// the reader can (HDF5: no copy of a possibly huge attribute).
func infoSum(r archive.Reader) (uint64, error) {
	if h, ok := r.(interface{ InfoSum() (uint64, error) }); ok {
		return h.InfoSum()
	}
	info, err := r.Info()
	return xxh3.HashString(info), err
}
