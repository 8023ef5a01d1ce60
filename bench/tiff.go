package bench

import (
	"encoding/binary"
	"fmt"
)

// TIFF tag numbers and field types (TIFF 6.0, baseline).
const (
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagDescription     = 270
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagResolutionUnit  = 296
	tagSoftware        = 305
	tagSampleFormat    = 339

	typeASCII    = 2
	typeShort    = 3
	typeLong     = 4
	typeRational = 5
)

// tiffLayout places a little-endian, uncompressed, 16-bit grayscale baseline
// TIFF: file header, one IFD, the values that do not fit in an entry, then
// the pixel strips. header returns everything before the pixels, so the
// pixels can be written straight after it from their own buffer.
type tiffLayout struct {
	w, h, rowsPerStrip int
}

// stripRows is the default strip height: about 64 KiB per strip, as many
// microscope writers do.
func stripRows(w int) int { return max(1, 65536/(2*w)) }

type ifdEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // little-endian values; stored inline when 4 bytes or fewer
}

func shorts(v ...uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

func longs(v ...uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

func ascii(s string) []byte { return append([]byte(s), 0) }

// header returns the bytes before the pixel data. description and software
// become ASCII tags; resolution is in pixels per centimetre.
func (l tiffLayout) header(description, software string, pixelsPerCm uint32) ([]byte, error) {
	pixelBytes := uint64(l.w) * uint64(l.h) * 2
	if l.w <= 0 || l.h <= 0 || l.w > 1<<16 || l.h > 1<<16 || pixelBytes > 1<<31 {
		return nil, fmt.Errorf("tiff: field %dx%d out of range", l.w, l.h)
	}
	rps := l.rowsPerStrip
	if rps <= 0 || rps > l.h {
		rps = l.h
	}
	nStrips := (l.h + rps - 1) / rps
	counts := make([]uint32, nStrips)
	for i := range counts {
		rows := min(rps, l.h-i*rps)
		counts[i] = uint32(rows * l.w * 2)
	}
	offsets := make([]byte, 4*nStrips) // filled once the pixel start is known
	entries := []ifdEntry{
		{tagImageWidth, typeLong, 1, longs(uint32(l.w))},
		{tagImageLength, typeLong, 1, longs(uint32(l.h))},
		{tagBitsPerSample, typeShort, 1, shorts(16)},
		{tagCompression, typeShort, 1, shorts(1)},
		{tagPhotometric, typeShort, 1, shorts(1)}, // BlackIsZero
		{tagDescription, typeASCII, uint32(len(description) + 1), ascii(description)},
		{tagStripOffsets, typeLong, uint32(nStrips), offsets},
		{tagSamplesPerPixel, typeShort, 1, shorts(1)},
		{tagRowsPerStrip, typeLong, 1, longs(uint32(rps))},
		{tagStripByteCounts, typeLong, uint32(nStrips), longs(counts...)},
		{tagXResolution, typeRational, 1, longs(pixelsPerCm, 1)},
		{tagYResolution, typeRational, 1, longs(pixelsPerCm, 1)},
		{tagResolutionUnit, typeShort, 1, shorts(3)}, // centimetre
		{tagSoftware, typeASCII, uint32(len(software) + 1), ascii(software)},
		{tagSampleFormat, typeShort, 1, shorts(1)}, // unsigned integer
	}
	ifdLen := 2 + 12*len(entries) + 4
	extra := 8 + ifdLen // where out-of-line values start
	size := extra
	for _, e := range entries {
		if len(e.value) > 4 {
			size += len(e.value) + len(e.value)%2 // values start on a word boundary
		}
	}
	pixelStart := uint32(size)
	for i := range nStrips {
		binary.LittleEndian.PutUint32(offsets[4*i:], pixelStart+uint32(i*rps*l.w*2))
	}

	b := make([]byte, size)
	copy(b, "II")
	binary.LittleEndian.PutUint16(b[2:], 42)
	binary.LittleEndian.PutUint32(b[4:], 8)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(entries)))
	p := 10
	for _, e := range entries {
		binary.LittleEndian.PutUint16(b[p:], e.tag)
		binary.LittleEndian.PutUint16(b[p+2:], e.typ)
		binary.LittleEndian.PutUint32(b[p+4:], e.count)
		if len(e.value) <= 4 {
			copy(b[p+8:p+12], e.value)
		} else {
			binary.LittleEndian.PutUint32(b[p+8:], uint32(extra))
			copy(b[extra:], e.value)
			extra += len(e.value) + len(e.value)%2
		}
		p += 12
	}
	// The 4 bytes after the entries (next IFD offset) stay zero: one image.
	return b, nil
}
