package h5sink

// #include "shim.h"
import "C"

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/hdf5vault/hdf5vault/archive"
)

// dsetInfo is what Stat needs of a dataset, from hv_stat or a scan record.
type dsetInfo struct {
	size, offset                      int64
	layout, nfilters, nexternal, rank int
	typeOK                            bool
}

func fromC(d *C.hv_dinfo) dsetInfo {
	return dsetInfo{
		size: int64(d.size), offset: int64(d.offset), layout: int(d.layout), nfilters: int(d.nfilters),
		nexternal: int(d.nexternal), rank: int(d.rank), typeOK: d.type_ok != 0,
	}
}

// scanEntry is one link the scan reported: a dataset, or why it is none.
type scanEntry struct {
	info dsetInfo
	err  string // libhdf5's error opening or describing it
	link bool   // a soft or external link (not followed)
}

// scan is the outcome of a scan child.
type scan struct {
	entries map[string]scanEntry
	end     bool   // the child reported the end of its walk
	walkErr string // the walk stopped early
	died    error  // the child crashed or hung inside libhdf5 (childDied)
}

// Record framing (shim.h). A name is at most a path through the file; the
// bound only stops a garbled stream from allocating much.
const (
	recDset    = C.HV_REC_DSET
	recErr     = C.HV_REC_ERR
	recLink    = C.HV_REC_LINK
	recEnd     = C.HV_REC_END
	recDsetLen = int(unsafe.Sizeof(C.hv_rec_dset{}))
	maxRecName = 1 << 20
	maxRecErr  = C.HV_ERRLEN
)

// readScan parses a scan child's records into s until the end record or EOF.
func readScan(r io.Reader, s *scan) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var head [5]byte
	for {
		if _, err := io.ReadFull(br, head[:1]); err != nil {
			if err == io.EOF {
				return nil // the child died, or failed: run decides
			}
			return err
		}
		if head[0] == recEnd {
			var rc [4]byte
			if _, err := io.ReadFull(br, rc[:]); err != nil {
				return truncated(err)
			}
			msg, err := readBlob(br, maxRecErr)
			if err != nil {
				return err
			}
			s.end = true
			if int32(binary.LittleEndian.Uint32(rc[:])) < 0 {
				s.walkErr = string(msg)
				if s.walkErr == "" {
					s.walkErr = "libhdf5 call failed"
				}
			}
			return nil
		}
		name, err := readBlob(br, maxRecName)
		if err != nil {
			return err
		}
		var e scanEntry
		switch head[0] {
		case recDset:
			var b [recDsetLen]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return truncated(err)
			}
			e.info = decodeDset(b[:])
		case recErr:
			msg, err := readBlob(br, maxRecErr)
			if err != nil {
				return err
			}
			e.err = string(msg)
		case recLink:
			e.link = true
		default:
			return fmt.Errorf("scan: unknown record kind %d", head[0])
		}
		if _, ok := s.entries[string(name)]; ok {
			// Paths are unique: the walk goes round a loop in damaged
			// metadata, and its pulses would keep the watchdog quiet.
			return archive.Damaged(fmt.Errorf("scan: the walk reached %q twice (a loop in damaged metadata)", name))
		}
		s.entries[string(name)] = e
	}
}

func decodeDset(b []byte) dsetInfo {
	le := binary.LittleEndian
	i32 := func(at int) int { return int(int32(le.Uint32(b[at:]))) }
	return dsetInfo{
		size: int64(le.Uint64(b[0:])), offset: int64(le.Uint64(b[8:])),
		layout: i32(16), nfilters: i32(20), nexternal: i32(24), rank: i32(28), typeOK: i32(32) != 0,
	}
}

// readBlob reads a u32 length and that many bytes, at most limit; nil and
// no error when the stream ends first.
func readBlob(r io.Reader, limit int) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, truncated(err)
	}
	l := binary.LittleEndian.Uint32(n[:])
	if int64(l) > int64(limit) {
		return nil, fmt.Errorf("scan: a record of %d bytes (limit %d)", l, limit)
	}
	// Grown as bytes arrive, never to the length a stream merely claims.
	var b bytes.Buffer
	if _, err := io.CopyN(&b, r, int64(l)); err != nil {
		return nil, truncated(err)
	}
	if b.Len() == 0 {
		return []byte{}, nil // present, empty: nil means the stream ended
	}
	return b.Bytes(), nil
}

// truncated: a stream that ends inside a record is a child that died
// mid-write; run reports how it died.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// writeEnd writes an end record: the end of an open, or of a scan that
// could not start (cause not nil).
func writeEnd(w io.Writer, cause error) {
	b := []byte{recEnd, 0, 0, 0, 0}
	var msg []byte
	if cause != nil {
		msg = []byte(cause.Error())[:min(len(cause.Error()), maxRecErr)]
		b = []byte{recEnd, 0xff, 0xff, 0xff, 0xff}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(msg)))
	w.Write(append(b, msg...))
}

// scanFile has the probe child describe every dataset of path. If the child
// crashes or hangs, what it reported before stays usable.
func (p *prober) scanFile(path string) (*scan, error) {
	s := &scan{entries: map[string]scanEntry{}}
	err := p.do([]string{probeScan, path}, func(r *bufio.Reader) (bool, error) {
		err := readScan(r, s)
		return s.end, err
	})
	switch {
	case childDied(err):
		s.died = err
	case err != nil:
		return nil, err
	}
	return s, nil
}

// lookup answers Stat from the scan.
func (s *scan) lookup(dataset string) (dsetInfo, error) {
	e, ok := s.entries[dataset]
	switch {
	case ok && e.link:
		return dsetInfo{}, archive.Damaged(errors.New("a soft or external link, not a dataset"))
	case ok && e.err != "":
		return dsetInfo{}, childError(e.err)
	case ok:
		return e.info, nil
	case s.died != nil:
		return dsetInfo{}, s.died
	case s.walkErr != "":
		return dsetInfo{}, fmt.Errorf("not reached: walking the file's groups failed: %w", childError(s.walkErr))
	}
	return dsetInfo{}, archive.Damaged(errors.New("no such dataset in the file"))
}
