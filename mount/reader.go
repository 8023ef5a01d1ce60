package mount

import (
	"fmt"
	"sync"

	"github.com/hdf5vault/hdf5vault/blosc"
)

// reader reads byte ranges of the set's files through the block cache. It
// is safe for concurrent use: decoders come from a pool, one per read.
type reader struct {
	src      *source
	cache    *cache
	decoders sync.Pool
	bad      sync.Map // file index -> reason: its bytes failed the checksum

	mu      sync.Mutex
	running map[key]*decoding // blocks being decoded: concurrent readers wait for one decode
}

// decoding is one block decode that other readers of the block wait for.
type decoding struct {
	done  chan struct{}
	block []byte
	err   error
}

func newReader(src *source, cacheSize int64) *reader {
	r := &reader{src: src, cache: newCache(cacheSize), running: make(map[key]*decoding)}
	// LegacyDicts: sets written by earlier versions of create -d still read.
	r.decoders.New = func() any { return &blosc.Decoder{MaxSize: int(src.chunkLimit()), LegacyDicts: true} }
	return r
}

// read fills dst with file i's (e's) bytes from off and returns how many it read
// (fewer only at the end of the file).
func (r *reader) read(i int, e *entry, dst []byte, off int64) (int, error) {
	if e.problem != nil {
		return 0, e.problem
	}
	if why, bad := r.bad.Load(i); bad {
		return 0, fmt.Errorf("%s", why)
	}
	if off >= e.size {
		return 0, nil
	}
	dst = dst[:min(int64(len(dst)), e.size-off)]
	n := 0
	var start int64 // of the current part in the file
	for j := range e.parts {
		p := &e.parts[j]
		end := start + p.raw
		if n < len(dst) && off+int64(n) < end {
			from := off + int64(n) - start
			want := dst[n:min(len(dst), n+int(end-(off+int64(n))))]
			if err := r.readPart(i, j, p, want, from); err != nil {
				return n, fmt.Errorf("part %d, dataset %q in %s: %w", j, p.dataset, r.src.memberPath(p), err)
			}
			n += len(want)
		}
		start = end
	}
	return n, nil
}

// readPart fills dst with part j's decoded bytes from off.
func (r *reader) readPart(i, j int, p *part, dst []byte, off int64) error {
	if !p.compressed {
		return r.src.readAt(p, dst, off)
	}
	b, err := r.layout(i, j, p)
	if err != nil {
		return err
	}
	bs := int64(b.BlockSize())
	for len(dst) > 0 {
		k := int(off / bs)
		block, err := r.block(i, j, k, p, b)
		if err != nil {
			return err
		}
		c := copy(dst, block[min(int64(len(block)), off-int64(k)*bs):])
		if c == 0 {
			return fmt.Errorf("block %d decoded to %d bytes, too few for offset %d", k, len(block), off)
		}
		dst, off = dst[c:], off+int64(c)
	}
	return nil
}

// layout returns the part's block layout, reading the chunk's prefix.
func (r *reader) layout(i, j int, p *part) (*blosc.Blocks, error) {
	k := key{i, j, layoutBlock}
	if v, ok := r.cache.get(k); ok {
		return v.(*blosc.Blocks), nil
	}
	var prefix []byte
	need := int64(blosc.MaxHeaderLen)
	for {
		if need > p.stored {
			return nil, fmt.Errorf("the chunk needs %d bytes of header and block table, the payload has %d", need, p.stored)
		}
		prefix = make([]byte, need)
		if err := r.src.readAt(p, prefix, 0); err != nil {
			return nil, err
		}
		d := r.decoders.Get().(*blosc.Decoder)
		b, more, err := d.ParseBlocks(prefix)
		r.decoders.Put(d)
		if err != nil {
			return nil, err
		}
		if b != nil {
			if h := b.Header(); int64(h.CBytes) != p.stored || int64(h.NBytes) != p.raw {
				return nil, fmt.Errorf("chunk header (%d stored, %d decoded bytes) disagrees with the payload (%d, %d)", h.CBytes, h.NBytes, p.stored, p.raw)
			}
			r.cache.put(k, b, int64(len(prefix))+8*int64(b.NBlocks())+64)
			return b, nil
		}
		need = int64(more)
	}
}

// block returns block k of part j, decoded. Readers asking for a block
// that is being decoded wait for that decode instead of repeating it.
func (r *reader) block(i, j, k int, p *part, b *blosc.Blocks) ([]byte, error) {
	ck := key{i, j, k}
	if v, ok := r.cache.get(ck); ok {
		return v.([]byte), nil
	}
	r.mu.Lock()
	if d, ok := r.running[ck]; ok {
		r.mu.Unlock()
		<-d.done
		return d.block, d.err
	}
	d := &decoding{done: make(chan struct{})}
	r.running[ck] = d
	r.mu.Unlock()

	d.block, d.err = r.decode(k, p, b)
	if d.err == nil {
		r.cache.put(ck, d.block, int64(cap(d.block)))
	}
	r.mu.Lock()
	delete(r.running, ck)
	r.mu.Unlock()
	close(d.done)
	return d.block, d.err
}

// decode reads block k's bytes and decodes them.
func (r *reader) decode(k int, p *part, b *blosc.Blocks) ([]byte, error) {
	from, to := b.Span(k)
	span := make([]byte, to-from)
	if err := r.src.readAt(p, span, int64(from)); err != nil {
		return nil, err
	}
	d := r.decoders.Get().(*blosc.Decoder)
	defer r.decoders.Put(d)
	return d.DecodeBlock(b, k, span, nil)
}
