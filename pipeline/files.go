package pipeline

import (
	"fmt"
	"sync"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/walker"
)

// fileRec is one source file on its way into the index. The reader fills
// the whole-file facts, each writer the part it stored; they touch
// different fields, and the index is built only after every stage is done.
type fileRec struct {
	walker.Entry
	nparts int
	parts  []archive.Part // by part number, filled by the writers

	// Set by the reader.
	skipped  bool // unreadable, listed instead (SkipUnreadable)
	checksum string
	mtimeNs  int64
	mode     uint32
}

// part is one part of a file travelling through the stages.
type part struct {
	file *fileRec
	k    int
	src  []byte // the part's bytes: raw.B, or a mapping of the file
	raw  *Buf   // src's buffer, or only its weight in the pool when mapped
	dst  *Buf   // the compressor's output buffer, nil if not compressing

	// A mapped part: the mapping to unmap and the open file it came from.
	mapping []byte
	mapped  *srcFile
	hash    bool // the compressor computes the file's checksum (its only part)
	payload []byte
	comp    bool   // payload is a Blosc2 chunk
	dataset string // set by the router
}

// fileList keeps every file record in walk order for the index.
type fileList struct {
	mu   sync.Mutex
	recs []*fileRec
}

func (l *fileList) add(e walker.Entry, chunk int64) *fileRec {
	n := archive.NumParts(e.Size, chunk)
	f := &fileRec{Entry: e, nparts: n, parts: make([]archive.Part, n)}
	l.mu.Lock()
	l.recs = append(l.recs, f)
	l.mu.Unlock()
	return f
}

// index builds the set's index from the finished records and fills res's totals.
func (l *fileList) index(res *Result) (*archive.Index, error) {
	ix := &archive.Index{Files: make([]archive.File, 0, len(l.recs))}
	for _, f := range l.recs {
		if f.skipped {
			continue
		}
		if f.checksum == "" {
			return nil, fmt.Errorf("%s: internal error: file was never fully read", f.Rel)
		}
		for k := range f.parts {
			p := &f.parts[k]
			if p.Dataset == "" {
				return nil, fmt.Errorf("%s: internal error: part %d was never stored", f.Rel, k)
			}
			p.FileSize = archive.Ptr(f.Size)
			p.Checksum = f.checksum
			p.MtimeNs = archive.Ptr(f.mtimeNs)
			p.Mode = archive.Ptr(f.mode)
			res.Parts++
			res.StoredBytes += *p.Stored
		}
		res.Files++
		res.RawBytes += f.Size
		ix.Files = append(ix.Files, archive.File{Path: f.Rel, Parts: f.parts})
	}
	return ix, nil
}
