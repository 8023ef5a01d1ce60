package blosc

// Block compression (C's blosc_c) and the assembly of blocks into the
// chunk, serially or by Options.Threads goroutines.

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// blockWorker holds one goroutine's codec state and shuffle scratch.
type blockWorker struct {
	coder    *streamCoder
	filtered []byte
}

// blockSlot carries one finished block from a worker to the assembler.
type blockSlot struct {
	buf   []byte
	zero  bool
	err   error
	ready chan struct{}
}

// compressBlock appends block (input bytes of one block) as C lays it out:
// per stream a little-endian int32 size and the stream's bytes. A size of
// 0 is a run of zeros; a negative size -v, followed by one byte, a run of
// byte v; a size equal to the stream length, the stream stored raw. zero
// reports whether every stream was a run of zeros.
func (w *blockWorker) compressBlock(out, block []byte, o *Options, split bool) (_ []byte, zero bool, err error) {
	data := block
	switch o.Shuffle {
	case ByteShuffle:
		w.filtered = grow(w.filtered, len(block))
		shuffleBytes(w.filtered, block, o.TypeSize)
		data = w.filtered
	case BitShuffle:
		w.filtered = grow(w.filtered, len(block))
		bitShuffle(w.filtered, block, o.TypeSize)
		data = w.filtered
	}
	nstreams := 1
	if split {
		nstreams = o.TypeSize
	}
	neblock := len(data) / nstreams
	zero = true
	for s := range nstreams {
		stream := data[s*neblock : (s+1)*neblock]
		if v, ok := runValue(stream); ok {
			if v == 0 {
				out = binary.LittleEndian.AppendUint32(out, 0)
			} else {
				out = binary.LittleEndian.AppendUint32(out, uint32(-int32(v)))
				out = append(out, 1) // C's run-length token
				zero = false
			}
			continue
		}
		zero = false
		if out, err = w.coder.appendStream(out, stream); err != nil {
			return out, false, err
		}
	}
	return out, zero, nil
}

// runValue reports whether every byte of b equals b[0], and that byte.
func runValue(b []byte) (byte, bool) {
	if len(b) == 0 {
		return 0, false
	}
	v := b[0]
	pattern := uint64(v) * 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != pattern {
			return 0, false
		}
	}
	for ; i < len(b); i++ {
		if b[i] != v {
			return 0, false
		}
	}
	return v, true
}

// chunkWriter appends blocks in order after the header and bstarts table,
// refusing any block that would take the chunk past its budget.
type chunkWriter struct {
	buf        []byte
	base, end  int // chunk start and budget end within buf
	nblock     int
	allZero    bool
	overBudget bool
}

func (cw *chunkWriter) add(block []byte, zero bool) bool {
	if len(cw.buf)+len(block) > cw.end {
		cw.overBudget = true
		return false
	}
	bstart := cw.base + extendedHeaderLen + 4*cw.nblock
	binary.LittleEndian.PutUint32(cw.buf[bstart:], uint32(len(cw.buf)-cw.base))
	cw.buf = append(cw.buf, block...)
	cw.nblock++
	cw.allZero = cw.allZero && zero
	return true
}

// place records the block that compressBlock appended in place (buf now
// ends with it, from start on), or refuses it when past the budget.
func (cw *chunkWriter) place(buf []byte, start int, zero bool) bool {
	if len(buf) > cw.end {
		cw.overBudget = true
		return false
	}
	cw.buf = buf
	bstart := cw.base + extendedHeaderLen + 4*cw.nblock
	binary.LittleEndian.PutUint32(cw.buf[bstart:], uint32(start-cw.base))
	cw.nblock++
	cw.allZero = cw.allZero && zero
	return true
}

// compressBlocks appends the bstarts table, the dictionary section (when
// dict is not nil) and all blocks after the header already in dst. ok is
// false when the chunk would exceed end (C then falls back to a memcpy
// chunk); zero when every stream was a zero run.
func (e *Encoder) compressBlocks(src, dst []byte, base, end int, p *chunkPlan, dict []byte) (out []byte, zero, ok bool, err error) {
	tableEnd := len(dst) + 4*p.nblocks
	if dict != nil && tableEnd+4+len(dict) > end || tableEnd > end {
		return dst, false, false, nil
	}
	cw := &chunkWriter{buf: dst[:tableEnd], base: base, end: end, allZero: true}
	if dict != nil {
		cw.buf = appendDict(cw.buf, dict)
	}
	if len(e.workers) > 1 && p.nblocks > 1 {
		err = e.compressParallel(src, cw, *p)
	} else {
		err = e.compressSerial(src, cw, p)
	}
	return cw.buf, cw.allZero, !cw.overBudget, err
}

// blockAt returns block j of src and whether it is split into streams
// (C never splits the final, partial block).
func blockAt(src []byte, j int, p *chunkPlan) ([]byte, bool) {
	start := j * p.blocksize
	stop := min(start+p.blocksize, len(src))
	return src[start:stop], p.split && stop-start == p.blocksize
}

// compressSerial compresses each block straight into the chunk (no copy
// through a scratch buffer); a block that ends past the budget is cut off
// again and the chunk marked over budget.
func (e *Encoder) compressSerial(src []byte, cw *chunkWriter, p *chunkPlan) error {
	w := e.workers[0]
	for j := range p.nblocks {
		block, split := blockAt(src, j, p)
		start := len(cw.buf)
		out, zero, err := w.compressBlock(cw.buf, block, &e.o, split)
		if err != nil {
			return err
		}
		if !cw.place(out, start, zero) {
			return nil
		}
	}
	return nil
}

// compressParallel has the workers compress blocks into a ring of slots
// while this goroutine appends them in block order. Block j+len(slots) is
// handed out only after block j has been appended, so a slot is never
// reused early; the output is identical to compressSerial's.
func (e *Encoder) compressParallel(src []byte, cw *chunkWriter, p chunkPlan) error {
	nworkers := min(len(e.workers), p.nblocks)
	var stop atomic.Bool // set once the chunk is over budget or failed
	var wg sync.WaitGroup
	for _, w := range e.workers[:nworkers] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range e.jobs {
				if j < 0 {
					return
				}
				s := &e.slots[j%len(e.slots)]
				s.buf, s.zero, s.err = s.buf[:0], false, nil
				if !stop.Load() {
					block, split := blockAt(src, j, &p)
					s.buf, s.zero, s.err = w.compressBlock(s.buf, block, &e.o, split)
				}
				s.ready <- struct{}{}
			}
		}()
	}
	sent := 0
	for ; sent < min(len(e.slots), p.nblocks); sent++ {
		e.jobs <- sent
	}
	var err error
	for j := 0; j < sent; j++ {
		s := &e.slots[j%len(e.slots)]
		<-s.ready
		if !stop.Load() {
			if s.err != nil {
				err = s.err
				stop.Store(true)
			} else if !cw.add(s.buf, s.zero) {
				stop.Store(true)
			}
		}
		if !stop.Load() && sent < p.nblocks {
			e.jobs <- sent
			sent++
		}
	}
	for range nworkers {
		e.jobs <- -1
	}
	wg.Wait()
	return err
}
