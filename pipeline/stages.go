package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hdf5vault/hdf5vault/archive"
	"github.com/hdf5vault/hdf5vault/blosc"
)

// compress encodes parts with its own encoder and routes each payload to the
// archive file with the fewest stored bytes.
func (r *run) compress(ctx context.Context, parts <-chan *part, toWriter []chan *part) error {
	var enc *blosc.Encoder
	if r.cfg.Compress {
		var err error
		if enc, err = blosc.NewEncoder(r.cfg.Blosc); err != nil {
			return fmt.Errorf("compressor: %w", err)
		}
	}
	for {
		var p *part
		select {
		case <-ctx.Done():
			return ctx.Err()
		case x, ok := <-parts:
			if !ok {
				return nil
			}
			p = x
		}
		if err := r.encode(enc, p); err != nil {
			r.release(p)
			return err
		}
		w, err := r.router.pick(p)
		if err != nil {
			r.release(p)
			return err
		}
		select {
		case toWriter[w] <- p:
		case <-ctx.Done():
			r.release(p)
			return ctx.Err()
		}
	}
}

// encode sets p's payload: the Blosc2 chunk when it is smaller than the raw
// bytes, else the raw bytes (the original's rule). The buffer not used is
// returned to the pool at once.
func (r *run) encode(enc *blosc.Encoder, p *part) error {
	if p.mapped != nil {
		return r.encodeMapped(enc, p)
	}
	p.payload = p.src
	if enc == nil || p.dst == nil {
		return nil
	}
	out, err := enc.EncodeAll(p.src, p.dst.B[:0])
	if err != nil {
		return fmt.Errorf("%s: compressing part %d: %w", r.path(p.file), p.k, err)
	}
	if len(out) < len(p.src) {
		p.payload, p.comp = out, true
		r.pool.Put(p.raw)
		p.raw, p.src = nil, nil
		return nil
	}
	r.pool.Put(p.dst)
	p.dst = nil
	return nil
}

// encodeMapped is encode for a mapped part. The payload always ends up in
// the dst buffer (raw bytes are copied there when compression does not
// help), so the mapping is dropped here and no writer ever touches it. A
// file truncated or modified while mapped fails the part.
func (r *run) encodeMapped(enc *blosc.Encoder, p *part) error {
	var out []byte
	err := guard(func() (err error) {
		if testHookMapped != nil {
			testHookMapped(p)
		}
		if p.hash {
			h := archive.NewChecksum()
			h.Write(p.src)
			p.file.setChecksum(h)
		}
		if out, err = enc.EncodeAll(p.src, p.dst.B[:0]); err != nil {
			return fmt.Errorf("compressing part %d: %w", p.k, err)
		}
		p.comp = len(out) < len(p.src)
		if !p.comp {
			out = append(p.dst.B[:0], p.src...) // dst holds MaxEncodedLen bytes
		}
		return nil
	})
	if err == nil {
		err = p.mapped.file.unchanged()
	}
	r.unmap(p)
	if err != nil {
		p.comp = false
		return fmt.Errorf("%s: %w", r.path(p.file), err)
	}
	p.payload = out
	return nil
}

// maxBatch is how many waiting parts a writer stores at once when its
// archive can take a batch (archive.BatchWriter).
const maxBatch = 64

// write stores the parts routed to archive file n. It takes every part
// already waiting, up to maxBatch, and stores them together: with many
// small files the writer is the bottleneck, so its queue fills while it
// works and the batches grow by themselves; when it keeps up, a batch is
// one part and nothing waits for a batch to fill.
func (r *run) write(ctx context.Context, n int, w archive.Writer, in <-chan *part) error {
	bw, _ := w.(archive.BatchWriter)
	var batch []*part
	var puts []archive.Put
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p, ok := <-in:
			if !ok {
				return nil
			}
			batch = append(batch[:0], p)
		}
		if bw != nil {
			batch = takeWaiting(in, batch)
		}
		var err error
		if len(batch) == 1 {
			err = r.put(n, w, batch[0])
		} else {
			puts, err = r.putBatch(n, bw, batch, puts)
		}
		for _, p := range batch {
			r.release(p)
		}
		if err != nil {
			return err
		}
	}
}

// takeWaiting appends the parts waiting in in, without blocking, until
// batch holds maxBatch.
func takeWaiting(in <-chan *part, batch []*part) []*part {
	for len(batch) < maxBatch {
		select {
		case p, ok := <-in:
			if !ok {
				return batch
			}
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// put stores one payload and records where it went.
func (r *run) put(n int, w archive.Writer, p *part) error {
	off, err := w.Put(p.dataset, p.payload, attrsOf(p))
	if err != nil {
		return r.storeErr(n, p, err)
	}
	r.record(n, p, off)
	return nil
}

// putBatch stores several payloads at once and records where each went;
// puts is scratch space, returned for the next batch.
func (r *run) putBatch(n int, w archive.BatchWriter, batch []*part, puts []archive.Put) ([]archive.Put, error) {
	puts = puts[:0]
	for _, p := range batch {
		puts = append(puts, archive.Put{Dataset: p.dataset, Payload: p.payload, Attrs: attrsOf(p)})
	}
	if i, err := w.PutBatch(puts); err != nil {
		return puts, r.storeErr(n, batch[i], err)
	}
	for i, p := range batch {
		r.record(n, p, puts[i].Offset)
	}
	clear(puts) // drop the payload references until the next batch
	return puts, nil
}

// attrsOf is the dataset attributes of part p.
func attrsOf(p *part) archive.DatasetAttrs {
	f := p.file
	a := archive.DatasetAttrs{Compression: archive.MethodNone, NumChunks: len(f.parts)}
	if p.comp {
		a.Compression = archive.MethodBlosc2
	}
	if len(f.parts) > 1 {
		a.Chunk = p.k
	}
	return a
}

// record notes where part p went in archive file n.
func (r *run) record(n int, p *part, off int64) {
	f := p.file
	size := r.partLen(f, p.k)
	f.parts[p.k] = storedPart{archive: int32(r.cfg.FirstArchive + n), offset: off, stored: int64(len(p.payload)), comp: p.comp}
	r.res.Archives[n].Parts++ // only this writer's goroutine touches entry n
	r.res.Archives[n].Stored += int64(len(p.payload))
	r.cfg.Progress.Stored(size)
	if fp, ok := r.cfg.Progress.(FileProgress); ok && p.k == len(f.parts)-1 {
		fp.StoredFile()
	}
}

// FileProgress is a Progress that counts files too: StoredFile is called
// once per file, when its last part is stored (--json's status lines).
type FileProgress interface {
	Progress
	StoredFile()
}

// storeErr is the error of storing part p in archive file n: the source
// file, the part, the member and the cause, each said once.
func (r *run) storeErr(n int, p *part, err error) error {
	f := p.file
	what := "it"
	if len(f.parts) > 1 {
		what = fmt.Sprintf("part %d of %d", p.k+1, len(f.parts))
	}
	return fmt.Errorf("%s: storing %s in %s: %w", r.path(f), what, r.member(n, err), reason(err))
}

// member names archive file n in a message: its final name when the
// caller gave them (Config.Names), else the file a Writer's error names.
func (r *run) member(n int, err error) string {
	if n < len(r.cfg.Names) {
		return r.cfg.Names[n]
	}
	var pe *archive.PutError
	if errors.As(err, &pe) {
		return pe.File
	}
	return fmt.Sprintf("archive file %d", n)
}

// reason is a Writer's error without the file and dataset it names (the
// message around it says them).
func reason(err error) error {
	var pe *archive.PutError
	if errors.As(err, &pe) {
		return pe.Reason()
	}
	return err
}

// partLen is the raw size of part k of f.
// path is the file to open for f: the source joined with its path in the
// set, as the walker joined it (kept only while it is in flight).
func (r *run) path(f *fileRec) string {
	return filepath.Join(r.cfg.Source, f.Rel)
}

func (r *run) partLen(f *fileRec, k int) int64 {
	return min(r.cfg.ChunkSize, f.Size-int64(k)*r.cfg.ChunkSize)
}
