package blosc

// Per-Decoder codec state: one zstd decoder and one zlib reader reused
// across streams and chunks, and the dictionary of the current chunk.

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

type codecState struct {
	zstd     *zstd.Decoder
	zstdDict []byte // copy of the dictionary registered with zstd; nil if none
	zlib     io.ReadCloser
	zlibSrc  bytes.Reader
	zlibEnd  [1]byte // probe that a zlib stream ends with the block
}

// prepare readies the codec for a chunk, registering its dictionary.
func (c *codecState) prepare(h *Header, dict []byte) error {
	// blosc_d hands the dictionary to zstd and lz4 only; blosclz and zlib
	// streams are decoded without it.
	if h.Codec != Zstd {
		return nil
	}
	if c.zstd == nil {
		z, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecodeAllCapLimit(true), // never grow past the block
			zstd.WithDecoderLowmem(true))
		if err != nil {
			return fmt.Errorf("blosc: zstd: %w", err)
		}
		c.zstd = z
	}
	switch {
	case dict == nil && c.zstdDict != nil:
		if err := c.zstd.ResetWithOptions(nil, zstd.WithDecoderDictDelete()); err != nil {
			return fmt.Errorf("blosc: zstd: %w", err)
		}
		c.zstdDict = nil
	case dict != nil && !bytes.Equal(dict, c.zstdDict):
		// The decoder may keep referring to the bytes: give it our own copy.
		own := append(c.zstdDict[:0:0], dict...)
		opt := zstd.WithDecoderDicts(own)
		if len(own) < 8 || string(own[:4]) != "\x37\xa4\x30\xec" {
			opt = zstd.WithDecoderDictRaw(0, own) // raw content, frames say dict id 0
		}
		if err := c.zstd.ResetWithOptions(nil, zstd.WithDecoderDictDelete(), opt); err != nil {
			c.zstdDict = nil
			_ = c.zstd.ResetWithOptions(nil, zstd.WithDecoderDictDelete())
			// initialize_context_decompression: ZSTD_createDDict failed.
			return corruptf("zstd dictionary: %w", err)
		}
		c.zstdDict = own
	}
	return nil
}

var errShortStream = errors.New("stream decodes to fewer bytes than its share of the block")

// decode decompresses src into out, which it must fill exactly.
func (c *codecState) decode(codec Codec, out, src, dict []byte) error {
	var n int
	var err error
	switch codec {
	case BloscLZ:
		n, err = blosclzDecode(out, src)
	case LZ4, LZ4HC:
		if dict != nil {
			n, err = lz4.UncompressBlockWithDict(src, out, dict)
		} else {
			n, err = lz4.UncompressBlock(src, out)
		}
	case Zlib:
		n, err = c.decodeZlib(out, src)
	case Zstd:
		var got []byte
		got, err = c.zstd.DecodeAll(src, out[:0])
		n = len(got)
		if err == nil && n > 0 && &got[0] != &out[0] {
			err = errors.New("zstd output outgrew the block") // cannot happen with the cap limit
		}
	default:
		err = fmt.Errorf("codec %v not supported", codec)
	}
	if err == nil && n != len(out) {
		err = errShortStream
	}
	if err != nil {
		return corruptf("%v: %w", codec, err)
	}
	return nil
}

// decodeZlib inflates a zlib stream that must hold exactly len(out) bytes.
func (c *codecState) decodeZlib(out, src []byte) (int, error) {
	c.zlibSrc.Reset(src)
	if c.zlib == nil {
		r, err := zlib.NewReader(&c.zlibSrc)
		if err != nil {
			return 0, err
		}
		c.zlib = r
	} else if err := c.zlib.(zlib.Resetter).Reset(&c.zlibSrc, nil); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(c.zlib, out)
	if err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = errShortStream
		}
		return n, err
	}
	// The stream must end here (this also checks its Adler-32).
	for range 8 {
		k, err := c.zlib.Read(c.zlibEnd[:])
		if k > 0 {
			return n, errors.New("stream decodes to more than its share of the block")
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, errors.New("zlib stream does not end")
}
