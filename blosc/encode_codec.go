package blosc

// One worker's codec state: compresses single streams the way C-Blosc2's
// *_wrap_compress functions do, reusing every buffer and codec context.

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// zstdLevel maps a Blosc clevel (1-9) to a klauspost encoder level. C uses
// zstd level 2*clevel-1 (22 at clevel 9). BenchmarkZstdLevels measures the
// candidates at clevel 8's layout, size vs C-Blosc2 on micro3m/micro300k
// and single-core speed on micro3m (C: ~100 MB/s): Fastest 1.005x/1.027x
// ~470 MB/s, Default 1.010x/1.012x ~460 MB/s, Better 1.007x/1.006x
// ~350 MB/s, Best 1.003x/1.003x ~135 MB/s. Better is within 1% of C on
// both with a wide speed margin, so zstd levels 7-15 (clevel 4-8) use it;
// only clevel 9, C's slowest, uses Best.
func zstdLevel(clevel int) zstd.EncoderLevel {
	switch {
	case clevel <= 1:
		return zstd.SpeedFastest
	case clevel <= 3:
		return zstd.SpeedDefault
	case clevel <= 8:
		return zstd.SpeedBetterCompression
	}
	return zstd.SpeedBestCompression
}

// smallStreamLen: below it, zstd streams use SpeedDefault instead of
// SpeedBetterCompression. Better's 4 MiB long-match table costs a cache
// miss per position on a short stream, since each new file touches other
// lines. BenchmarkZstdSmallStreams (successive chunks of micro3m): 8 KiB
// 63 -> 121 MB/cpu-s, 32 KiB 121 -> 310, sizes within 0.3%; at 128 KiB
// the two are equal. On 20,000 files of 8 KiB of noise the in-memory bound
// went from 2.95 s to 0.26 s. Fields at clevel 8 have 512 KiB streams and
// keep Better; TestMicroRatioVsC still holds (micro4099b x1.005).
const smallStreamLen = 64 << 10

// lz4hcDepth is LZ4_compress_HC's match search depth for clevel 1-9
// (lz4hc.c's table: 2 for levels 1-2, then doubling up to 256 at 9).
func lz4hcDepth(clevel int) lz4.CompressionLevel {
	return lz4.CompressionLevel(1 << max(clevel-1, 1))
}

// zlibLevel maps clevel (compress2's level in C) to a klauspost flate
// level. klauspost's levels 4-6 use fast matchers that come out up to 28%
// larger than zlib on shuffled split streams (micro300k vectors); its
// levels 7-8 are zlib-like lazy matching (within 1% of C, ~130 MB/s), and
// its level 9 is 20x slower than 8 for no gain.
func zlibLevel(clevel int) int {
	switch {
	case clevel <= 3:
		return clevel
	case clevel <= 7:
		return 7
	}
	return 8
}

type streamCoder struct {
	codec Codec
	level int
	zstd  *zstd.Encoder
	small *zstd.Encoder         // SpeedDefault for streams under smallStreamLen (nil: use zstd)
	lz4   lz4.CompressorCCompat // output identical to C's LZ4_compress_fast
	lz4hc lz4.CompressorHC
	zlib  *zlib.Writer
	zbuf  sliceWriter
	out   []byte // compressed stream scratch
}

func newStreamCoder(o *Options) (*streamCoder, error) {
	c := &streamCoder{codec: o.Codec, level: o.Level}
	switch o.Codec {
	case Zstd:
		enc, err := newZstdEncoder(zstdLevel(o.Level))
		if err != nil {
			return nil, err
		}
		c.zstd = enc
		if zstdLevel(o.Level) == zstd.SpeedBetterCompression && !o.UseDict {
			if c.small, err = newZstdEncoder(zstd.SpeedDefault); err != nil {
				return nil, err
			}
		}
	case LZ4:
		// C-Blosc2 3.3.3's get_accel: output then matches C's byte for byte.
		c.lz4.Acceleration = 10 - o.Level
	case LZ4HC:
		c.lz4hc.Level = lz4hcDepth(o.Level)
	case Zlib:
		w, err := zlib.NewWriterLevel(&c.zbuf, zlibLevel(o.Level))
		if err != nil {
			return nil, fmt.Errorf("blosc: zlib encoder: %w", err)
		}
		c.zlib = w
	default:
		return nil, fmt.Errorf("blosc: cannot encode with codec %v", o.Codec)
	}
	return c, nil
}

// newZstdEncoder makes a zstd encoder for one goroutine, writing frames
// C's ZSTD_decompressDCtx accepts: one complete frame per stream, content
// size in the header, no checksum.
func newZstdEncoder(level zstd.EncoderLevel) (*zstd.Encoder, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false), // C writes no checksum either
		// Entropy-code literals even without matches: shuffled streams
		// of noisy low bytes have few matches but a skewed histogram
		// (without it Fastest/Default split chunks are 26% larger).
		zstd.WithAllLitEntropyCompression(true),
		zstd.WithZeroFrames(true), // always one complete frame per stream
	)
	if err != nil {
		return nil, fmt.Errorf("blosc: zstd encoder: %w", err)
	}
	return enc, nil
}

// compress returns src compressed as one stream (valid until the next
// call), or nil when it does not come out smaller than src: C then stores
// the stream raw.
func (c *streamCoder) compress(src []byte) ([]byte, error) {
	switch c.codec {
	case Zstd:
		c.out = c.zstdFor(src).EncodeAll(src, c.out[:0])
	case LZ4:
		c.out = grow(c.out, lz4.CompressBlockBound(len(src)))
		n, err := c.lz4.CompressBlock(src, c.out)
		if err != nil {
			return nil, fmt.Errorf("blosc: lz4: %w", err)
		}
		c.out = c.out[:n]
	case LZ4HC:
		c.out = grow(c.out, lz4.CompressBlockBound(len(src)))
		n, err := c.lz4hc.CompressBlock(src, c.out)
		if err != nil {
			return nil, fmt.Errorf("blosc: lz4hc: %w", err)
		}
		c.out = c.out[:n]
	case Zlib:
		c.zbuf.b = c.out[:0]
		c.zlib.Reset(&c.zbuf)
		if _, err := c.zlib.Write(src); err != nil {
			return nil, fmt.Errorf("blosc: zlib: %w", err)
		}
		if err := c.zlib.Close(); err != nil {
			return nil, fmt.Errorf("blosc: zlib: %w", err)
		}
		c.out = c.zbuf.b
	}
	if len(c.out) == 0 || len(c.out) >= len(src) {
		return nil, nil
	}
	return c.out, nil
}

// appendStream appends one stream as C lays it out: its int32 length, then
// its bytes, compressed, or raw when compression does not make it smaller.
// zstd writes straight into out, saving a copy of every compressed byte.
func (c *streamCoder) appendStream(out, src []byte) ([]byte, error) {
	if c.codec != Zstd {
		s, err := c.compress(src)
		if err != nil {
			return out, err
		}
		if s == nil {
			s = src // does not compress: stored raw, as C does
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(len(s)))
		return append(out, s...), nil
	}
	at := len(out)
	out = append(out, 0, 0, 0, 0)
	out = c.zstdFor(src).EncodeAll(src, out)
	n := len(out) - at - 4
	if n == 0 || n >= len(src) {
		out = append(out[:at+4], src...)
		n = len(src)
	}
	binary.LittleEndian.PutUint32(out[at:], uint32(n))
	return out, nil
}

// zstdFor picks the zstd encoder for a stream of src's length.
func (c *streamCoder) zstdFor(src []byte) *zstd.Encoder {
	if c.small != nil && len(src) < smallStreamLen {
		return c.small
	}
	return c.zstd
}

// grow returns b resliced to length n, reallocating only when too small.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// sliceWriter is an io.Writer appending to a reusable slice.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
