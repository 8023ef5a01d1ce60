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
	maxTrainedDict = 128 * 1024 // C's BLOSC2_MAXDICTSIZE
	dictSamples    = 8          // C trains on the chunk cut into 8 samples
	minDictInput   = 8 * 1024   // below this, no useful dictionary can be built
	maxDictSample  = 64 * 1024
	maxDictContent = 32 * 1024 // larger dictionaries slow every stream down
	dictSegment    = 1024
	b2flagUseDict  = 0x01
)

// trainDict builds the dictionary from src's blocks after the shuffle, as
// C does, using scratch (at least len(src) bytes) for the filtered copy.
// It returns nil when the input is too small to train on.
func (e *Encoder) trainDict(src, scratch []byte, p *chunkPlan) []byte {
	n := len(src)
	if n < minDictInput {
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
	size := min(maxTrainedDict, n/20, maxDictContent) // C: at most 5% of the input
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
	return d
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
