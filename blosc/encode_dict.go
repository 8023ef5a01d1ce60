package blosc

// C-Blosc2's use_dict for zstd (blosc2_compress_ctx): a dictionary trained
// on the chunk's own filtered blocks is stored after the bstarts table
// (int32 size, then the zstd-format dictionary) and every stream is
// compressed with it; the header's blosc2 flags carry 0x01.

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/klauspost/compress/zstd"
)

const (
	// MaxDictSize is C-Blosc2's BLOSC2_MAXDICTSIZE: the largest dictionary
	// (zstd header and entropy tables included) its decoder accepts
	// (initialize_context_decompression refuses larger ones with error -9).
	MaxDictSize = 32 * 1024
	// MinUsefulDict is C-Blosc2's BLOSC2_MINUSEFULDICT: C's encoder writes
	// no dictionary when its budget would be smaller.
	MinUsefulDict = 256

	dictSamples   = 8        // C trains on the chunk cut into 8 samples
	minDictInput  = 8 * 1024 // below this, no useful dictionary can be built
	maxDictSample = 64 * 1024
	dictSegment   = 1024
	b2flagUseDict = 0x01
)

// dictBudget is the size C allows the whole dictionary for an n-byte input
// (blosc2_compress_ctx: at most BLOSC2_MAXDICTSIZE and 5% of the input),
// or 0 when that is below BLOSC2_MINUSEFULDICT and C writes none.
func dictBudget(n int) int {
	b := min(MaxDictSize, n/20)
	if b < MinUsefulDict {
		return 0
	}
	return b
}

// trainDict builds the dictionary from src's blocks after the shuffle, as
// C does, using scratch (at least len(src) bytes) for the filtered copy.
// It returns nil when the input is too small to train on.
func (e *Encoder) trainDict(src, scratch []byte, p *chunkPlan) []byte {
	n := len(src)
	budget := dictBudget(n)
	if n < minDictInput || budget == 0 {
		return nil
	}
	filtered := scratch[:n]
	for j := range p.nblocks {
		block, _ := blockAt(src, j, p)
		out := filtered[j*p.blocksize : j*p.blocksize+len(block)]
		switch e.o.Shuffle {
		case ByteShuffle:
			shuffleBytes(out, block, e.o.TypeSize)
		case BitShuffle:
			bitShuffle(out, block, e.o.TypeSize)
		default:
			copy(out, block)
		}
	}
	// C trains zstd's COVER algorithm on 8 samples. klauspost's equivalent
	// is slow (seconds per MB) and not deterministic (it ranks candidates
	// through Go maps), so the dictionary content is chosen here: evenly
	// spaced segments of the filtered data; zstd.BuildDict then derives the
	// entropy tables from samples compressed against it.
	size := budget
	segLen := min(dictSegment, size)
	segments := size / segLen
	history := make([]byte, 0, size)
	stride := n / segments
	for i := range segments {
		history = append(history, filtered[i*stride:i*stride+segLen]...)
	}
	sampleLen := min(n/dictSamples, maxDictSample) // zstd.BuildDict takes samples up to a zstd block
	samples := make([][]byte, n/sampleLen)
	for i := range samples {
		samples[i] = filtered[i*sampleLen : (i+1)*sampleLen]
	}
	d, err := zstd.BuildDict(zstd.BuildDictOptions{
		ID:         dictID(history),
		Contents:   samples,
		History:    history,
		Offsets:    [3]int{1, 4, 8}, // zstd's initial repeat offsets
		CompatV155: true,            // readable by every zstd 1.5.x
		Level:      zstdLevel(e.o.Level),
	})
	if err != nil {
		return nil // too little data to train on: compress without one
	}
	return fitDict(d, len(history), budget)
}

// fitDict trims a zstd dictionary to at most budget bytes. The entropy
// tables come first, then the three repeat offsets, then the history
// (content), so dropping the history's oldest bytes keeps a valid
// dictionary as long as every repeat offset still points inside it (zstd
// refuses one that does not): those that would not are reset to zstd's
// defaults (1, 4, 8). It returns nil when the tables alone leave no room.
func fitDict(d []byte, historyLen, budget int) []byte {
	excess := len(d) - budget
	if excess <= 0 {
		return d
	}
	tables := len(d) - historyLen
	keep := historyLen - excess
	if keep <= 8 || tables < 12 {
		return nil
	}
	out := append(d[:tables:tables], d[tables+excess:]...)
	reps := out[tables-12 : tables]
	for i, def := range [3]uint32{1, 4, 8} {
		if off := binary.LittleEndian.Uint32(reps[4*i:]); off == 0 || int(off) > keep {
			binary.LittleEndian.PutUint32(reps[4*i:], def)
		}
	}
	return out
}

// dictID derives the dictionary ID from the training data, so that equal
// inputs give equal chunks (klauspost would draw a random one). IDs below
// 32768 are reserved by the zstd format.
func dictID(data []byte) uint32 {
	return 32768 + crc32.ChecksumIEEE(data)%(1<<31-32768)
}

// useDict registers d (nil: none) with every worker's zstd encoder.
func (e *Encoder) useDict(d []byte) error {
	for _, w := range e.workers {
		opt := zstd.WithEncoderDictDelete()
		if d != nil {
			opt = zstd.WithEncoderDict(d)
		}
		if err := w.coder.zstd.ResetWithOptions(nil, opt); err != nil {
			return fmt.Errorf("blosc: zstd dictionary: %w", err)
		}
	}
	return nil
}

// appendDict appends the dictionary section (int32 size, then the bytes).
func appendDict(dst, d []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(d)))
	return append(dst, d...)
}
