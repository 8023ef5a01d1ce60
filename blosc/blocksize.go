package blosc

// C-Blosc2's automatic block size and split rules (blosc/stune.c:
// blosc_stune_next_blocksize and split_block), restated so our chunks have
// the block layout C would choose for the same codec, level and typesize.

const (
	l1CacheSize      = 32 * 1024 // C's L1: the base block size
	splitMaxStreams  = 16        // C's MAX_STREAMS: no auto split above this typesize
	splitMinElements = 32        // C's BLOSC_MIN_BUFFERSIZE, also the minimum elements per stream
	maxSplitBlock    = 4 << 20   // split blocks never exceed 4 MB
	minSplitBlock    = 32 << 10  // ...nor go below 32 KB
	maxUserBlockSize = 536866816 // C's BLOSC2_MAXBLOCKSIZE
)

// highRatioCodec reports whether C treats the codec as one meant for high
// compression ratios (is_HCR): those get blocks twice as large.
func highRatioCodec(c Codec) bool {
	return c == LZ4HC || c == Zlib || c == Zstd
}

// splitBlock is C's split_block: whether each block is compressed as
// typesize separate streams (one per byte position of the shuffled data).
func splitBlock(o *Options, blocksize int) bool {
	switch o.SplitMode {
	case AlwaysSplit:
		return true
	case NeverSplit:
		return false
	}
	// Auto and forward-compat: fast codecs (and zstd at low levels) split,
	// but only after a byte shuffle, which is what makes the streams alike.
	fastCodec := o.Codec == BloscLZ || o.Codec == LZ4 || (o.Codec == Zstd && o.Level <= 5)
	return fastCodec && o.Shuffle == ByteShuffle &&
		o.TypeSize <= splitMaxStreams && blocksize/o.TypeSize >= splitMinElements
}

// computeBlockSize is C's blosc_stune_next_blocksize for an input of
// nbytes: o.BlockSize when given, otherwise a size from the level and codec,
// enlarged to typesize streams of a level-dependent size when splitting.
// The result never exceeds nbytes and is a multiple of the typesize when
// larger than it.
func computeBlockSize(o *Options, nbytes int) int {
	typesize := o.TypeSize
	if nbytes < typesize {
		return 1 // C's protection for tiny buffers
	}
	blocksize := nbytes
	if o.BlockSize > 0 {
		blocksize = o.BlockSize
	} else {
		if nbytes >= l1CacheSize {
			blocksize = levelBlockSize(o)
		}
		if o.Level > 0 && splitBlock(o, blocksize) {
			blocksize = splitBlockSize(o.Level) * typesize
			blocksize = min(blocksize, maxSplitBlock)
			blocksize = max(blocksize, minSplitBlock)
		}
	}
	blocksize = min(blocksize, nbytes)
	if blocksize > typesize {
		blocksize = blocksize / typesize * typesize
	}
	return blocksize
}

// levelBlockSize is the unsplit block size for inputs of at least 32 KB.
func levelBlockSize(o *Options) int {
	bs := l1CacheSize
	if highRatioCodec(o.Codec) {
		bs *= 2
	}
	switch o.Level {
	case 0:
		bs /= 4
	case 1:
		bs /= 2
	case 3:
		bs *= 2
	case 4, 5:
		bs *= 4
	case 6, 7, 8:
		bs *= 8
	case 9:
		bs *= 8
		if highRatioCodec(o.Codec) {
			bs *= 2
		}
	}
	return bs
}

// splitBlockSize is the size of one stream of a split block, by level.
func splitBlockSize(level int) int {
	switch level {
	case 1, 2, 3:
		return 32 << 10
	case 4, 5, 6:
		return 64 << 10
	case 7:
		return 128 << 10
	case 8:
		return 256 << 10
	}
	return 512 << 10
}
