package blosc

// A deliberately simple reference decoder for version-5 chunks, written
// from README_CHUNK_FORMAT.rst only for the encoder tests. It is checked
// against C-Blosc2's own chunks (TestRefDecodeReadsCVectors) and then used
// to read ours, independently of the package's Decoder.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

var refZstd, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))

func refDecode(chunk []byte) ([]byte, error) {
	if len(chunk) < 32 || chunk[0] != 5 || chunk[2]&0x05 != 0x05 {
		return nil, fmt.Errorf("not a version-5 extended chunk")
	}
	le := binary.LittleEndian
	flags, typesize := chunk[2], int(chunk[3])
	nbytes, blocksize, cbytes := int(le.Uint32(chunk[4:])), int(le.Uint32(chunk[8:])), int(le.Uint32(chunk[12:]))
	if cbytes != len(chunk) {
		return nil, fmt.Errorf("cbytes %d, chunk has %d bytes", cbytes, len(chunk))
	}
	switch chunk[31] >> 4 & 7 {
	case 0:
	case 1:
		return make([]byte, nbytes), nil
	default:
		return nil, fmt.Errorf("special kind %d", chunk[31]>>4&7)
	}
	if flags&0x02 != 0 {
		if cbytes != nbytes+32 {
			return nil, fmt.Errorf("memcpy chunk of wrong size")
		}
		return bytes.Clone(chunk[32:]), nil
	}
	out := make([]byte, 0, nbytes)
	nblocks := (nbytes + blocksize - 1) / blocksize
	zd := refZstd
	if chunk[31]&0x01 != 0 {
		dpos := 32 + 4*nblocks
		dsize := int(le.Uint32(chunk[dpos:]))
		d, err := zstd.NewReader(nil, zstd.WithDecoderDicts(chunk[dpos+4:dpos+4+dsize]))
		if err != nil {
			return nil, fmt.Errorf("dictionary: %w", err)
		}
		defer d.Close()
		zd = d
	}
	for j := range nblocks {
		bsize := min(blocksize, nbytes-j*blocksize)
		nstreams := 1
		if flags&0x10 == 0 && bsize == blocksize {
			nstreams = typesize
		}
		pos := int(le.Uint32(chunk[32+4*j:]))
		var filtered []byte
		for range nstreams {
			csize := int32(le.Uint32(chunk[pos:]))
			pos += 4
			neblock := bsize / nstreams
			switch {
			case csize == 0:
				filtered = append(filtered, make([]byte, neblock)...)
			case csize < 0:
				filtered = append(filtered, bytes.Repeat([]byte{byte(-csize)}, neblock)...)
				pos++
			case int(csize) == neblock:
				filtered = append(filtered, chunk[pos:pos+neblock]...)
				pos += neblock
			default:
				d, err := refStream(zd, chunk[22], chunk[pos:pos+int(csize)], neblock)
				if err != nil {
					return nil, fmt.Errorf("block %d: %w", j, err)
				}
				filtered = append(filtered, d...)
				pos += int(csize)
			}
		}
		block := make([]byte, bsize)
		switch chunk[21] {
		case 0:
			copy(block, filtered)
		case 1:
			unshuffleBytes(block, filtered, typesize)
		case 2:
			bitUnshuffle(block, filtered, typesize)
		}
		out = append(out, block...)
	}
	return out, nil
}

func refStream(zd *zstd.Decoder, codec byte, src []byte, n int) ([]byte, error) {
	switch Codec(codec) {
	case Zstd:
		return zd.DecodeAll(src, nil)
	case LZ4, LZ4HC:
		d := make([]byte, n)
		k, err := lz4.UncompressBlock(src, d)
		return d[:k], err
	case Zlib:
		r, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
	return nil, fmt.Errorf("codec %d", codec)
}
