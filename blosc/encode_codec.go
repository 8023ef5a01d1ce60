package blosc

// One worker's codec state: compresses single streams the way C-Blosc2's
// *_wrap_compress functions do, reusing every buffer and codec context.

import (
	"fmt"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// zstdLevel maps a Blosc clevel (1-9) to a klauspost encoder level. C uses
// zstd level 2*clevel-1 (22 at clevel 9). klauspost's four speeds were
// measured on micro3m/micro300k at clevel 8 (512 KB and 300 KB blocks):
// SpeedBestCompression is within 0.3% of C's size but runs at ~40 MB/s,
// SpeedBetterCompression is within 0.7% at ~170 MB/s, SpeedDefault 1.0-1.2%
// larger. So zstd levels 7-15 (clevel 4-8) use Better, and only clevel 9,
// C's slowest, uses Best.
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

// lz4hcDepth is LZ4_compress_HC's match search depth for clevel 1-9
// (lz4hc.c's table: 2 for levels 1-2, then doubling up to 256 at 9).
func lz4hcDepth(clevel int) lz4.CompressionLevel {
	return lz4.CompressionLevel(1 << max(clevel-1, 1))
}

type streamCoder struct {
	codec Codec
	level int
	zstd  *zstd.Encoder
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
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstdLevel(o.Level)),
			zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(false), // C writes no checksum either
			zstd.WithZeroFrames(true),  // always one complete frame per stream
		)
		if err != nil {
			return nil, fmt.Errorf("blosc: zstd encoder: %w", err)
		}
		c.zstd = enc
	case LZ4:
		// C-Blosc2 3.3.3's get_accel: output then matches C's byte for byte.
		c.lz4.Acceleration = 10 - o.Level
	case LZ4HC:
		c.lz4hc.Level = lz4hcDepth(o.Level)
	case Zlib:
		w, err := zlib.NewWriterLevel(&c.zbuf, o.Level) // compress2's level
		if err != nil {
			return nil, fmt.Errorf("blosc: zlib encoder: %w", err)
		}
		c.zlib = w
	default:
		return nil, fmt.Errorf("blosc: cannot encode with codec %v", o.Codec)
	}
	return c, nil
}

// compress returns src compressed as one stream (valid until the next
// call), or nil when it does not come out smaller than src: C then stores
// the stream raw.
func (c *streamCoder) compress(src []byte) ([]byte, error) {
	switch c.codec {
	case Zstd:
		c.out = c.zstd.EncodeAll(src, c.out[:0])
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
