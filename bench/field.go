package bench

import (
	"encoding/binary"
	"math"
)

// The look of a field, tuned so that 2 MiB fields compress about 2.4x with
// the original's Blosc2 settings (BenchmarkFieldRatio), like its reference
// acquisition (2.45x): a camera offset with read and shot noise, a gentle
// illumination falloff, dim cells shared by all channels of a field, and
// bright diffraction-limited spots.
const (
	offset       = 100   // camera offset, counts
	readNoise    = 7.0   // counts (sigma)
	gain         = 1.5   // counts per photoelectron: shot noise variance = gain * signal
	autofluor    = 30    // background light at the centre, counts
	cellsPerMP   = 40.0  // cells per megapixel
	spotsPerMP   = 400.0 // spots per megapixel
	cellSigmaMin = 6.0   // pixels
	cellSigmaMax = 16.0
	spotSigmaMin = 1.0
	spotSigmaMax = 2.5
	spotAmpMin   = 1000.0 // counts above background
	spotAmpMax   = 5000.0
	blobReach    = 3.0 // a blob is drawn out to this many sigmas
)

// fieldMaker renders fields of one size; it keeps its buffers between fields.
type fieldMaker struct {
	w, h   int
	signal []float32 // light above background, counts
	colBg  []int32   // illumination falloff along x, counts
	rowBg  []int32   // along y
	noise  [1 << gaussBits]int32
	bgSD   float64
	gx, gy []float32 // one blob's profile along x and y
}

func newFieldMaker(w, h int) *fieldMaker {
	m := &fieldMaker{w: w, h: h, signal: make([]float32, w*h)}
	// Separable falloff: brightest in the centre, 25% dimmer at the edges.
	m.colBg = falloff(w, autofluor/2)
	m.rowBg = falloff(h, autofluor/2)
	m.bgSD = math.Sqrt(readNoise*readNoise + gain*autofluor)
	for i, z := range gaussTable {
		m.noise[i] = int32(math.Round(m.bgSD * float64(z)))
	}
	return m
}

func falloff(n int, peak float64) []int32 {
	f := make([]int32, n)
	for i := range f {
		d := (float64(i) + 0.5 - float64(n)/2) / (float64(n) / 2)
		f[i] = int32(math.Round(peak * (1 - 0.25*d*d)))
	}
	return f
}

// blob is a 2-D Gaussian spot.
type blob struct{ x, y, sigma, amp float64 }

// cells places the cells of a field; every channel of the field sees them.
func cells(r *rng, w, h int) []blob {
	n := int(math.Round(cellsPerMP * float64(w*h) / 1e6))
	bs := make([]blob, n)
	for i := range bs {
		bs[i] = blob{x: r.between(0, float64(w)), y: r.between(0, float64(h)),
			sigma: r.between(cellSigmaMin, cellSigmaMax), amp: r.between(0.5, 1.5)}
	}
	return bs
}

// render writes one channel's pixels as little-endian uint16 into out
// (len 2*w*h). Channel 0 shows the cells brightly (a nuclear stain), the
// others dimly, with their own spots.
func (m *fieldMaker) render(out []byte, fieldCells []blob, channel int, r *rng) {
	clear(m.signal)
	cellAmp := 150.0
	if channel == 0 {
		cellAmp = 800.0
	}
	for _, c := range fieldCells {
		m.draw(blob{c.x, c.y, c.sigma, c.amp * cellAmp})
	}
	n := int(math.Round(spotsPerMP * float64(m.w*m.h) / 1e6))
	for range n {
		m.draw(blob{x: r.between(0, float64(m.w)), y: r.between(0, float64(m.h)),
			sigma: r.between(spotSigmaMin, spotSigmaMax), amp: r.between(spotAmpMin, spotAmpMax)})
	}
	m.shoot(out, r)
}

// draw adds a blob to the signal, as the product of its x and y profiles.
func (m *fieldMaker) draw(b blob) {
	reach := blobReach * b.sigma
	x0, x1 := max(0, int(b.x-reach)), min(m.w, int(b.x+reach)+1)
	y0, y1 := max(0, int(b.y-reach)), min(m.h, int(b.y+reach)+1)
	if x0 >= x1 || y0 >= y1 {
		return
	}
	m.gx = profile(m.gx[:0], x0, x1, b.x, b.sigma, b.amp)
	m.gy = profile(m.gy[:0], y0, y1, b.y, b.sigma, 1)
	for y := y0; y < y1; y++ {
		row := m.signal[y*m.w+x0 : y*m.w+x1]
		gy := m.gy[y-y0]
		for i, gx := range m.gx {
			row[i] += gx * gy
		}
	}
}

func profile(dst []float32, lo, hi int, centre, sigma, amp float64) []float32 {
	for i := lo; i < hi; i++ {
		d := (float64(i) + 0.5 - centre) / sigma
		dst = append(dst, float32(amp*math.Exp(-d*d/2)))
	}
	return dst
}

// shoot turns expected counts into a noisy camera frame. Background pixels
// (no signal) take an all-integer path; lit pixels add shot noise.
func (m *fieldMaker) shoot(out []byte, r *rng) {
	const mask = 1<<gaussBits - 1
	var bitsLeft int
	var word uint64
	for y := 0; y < m.h; y++ {
		rowBg := offset + m.rowBg[y]
		sig := m.signal[y*m.w : (y+1)*m.w]
		px := out[2*y*m.w : 2*(y+1)*m.w]
		for x, s := range sig {
			if bitsLeft < gaussBits {
				word, bitsLeft = r.next(), 64
			}
			k := word & mask
			word >>= gaussBits
			bitsLeft -= gaussBits
			bg := rowBg + m.colBg[x]
			var v uint16
			if s == 0 {
				v = uint16(max(0, bg+m.noise[k])) // bg is small: no overflow
			} else {
				sd := math.Sqrt(m.bgSD*m.bgSD + gain*float64(s))
				// float64(...) keeps the product from fusing into an FMA, so
				// every platform rounds the same way.
				v = clamp16(math.Round(float64(bg) + float64(s) + float64(sd*float64(gaussTable[k]))))
			}
			binary.LittleEndian.PutUint16(px[2*x:], v)
		}
	}
}

func clamp16(v float64) uint16 {
	switch {
	case v <= 0:
		return 0
	case v >= math.MaxUint16:
		return math.MaxUint16
	}
	return uint16(v)
}

// noiseBytes fills b with background-only pixels (little-endian uint16; an
// odd last byte gets the low half of one more pixel).
func (m *fieldMaker) noiseBytes(b []byte, r *rng) {
	const mask = 1<<gaussBits - 1
	var bitsLeft int
	var word uint64
	var px [2]byte
	for i := 0; i < len(b); i += 2 {
		if bitsLeft < gaussBits {
			word, bitsLeft = r.next(), 64
		}
		v := offset + autofluor + m.noise[word&mask]
		word >>= gaussBits
		bitsLeft -= gaussBits
		binary.LittleEndian.PutUint16(px[:], uint16(max(0, v)))
		copy(b[i:], px[:])
	}
}
