package bench

import (
	"math"
	"math/bits"
)

// rng is wyrand: one multiply per 64 bits, far cheaper than math/rand for
// hundreds of millions of pixels, and good enough for image noise.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// between returns a uniform value in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// mix derives independent seeds from a seed and a sequence of numbers
// (splitmix64 finalizer), so every image has its own stream.
func mix(seed uint64, xs ...uint64) uint64 {
	h := seed
	for _, x := range xs {
		h ^= x + 0x9e3779b97f4a7c15 + h<<6 + h>>2
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// gaussBits is how many random bits pick one standard normal sample.
const gaussBits = 12

// gaussTable holds the standard normal quantiles at (i+0.5)/4096, rounded to
// 1/1024 so the table is the same on every platform; 12 random bits then give
// one normal sample (tails cut at about 3.5 sigma, invisible in an image).
var gaussTable = func() [1 << gaussBits]float32 {
	var t [1 << gaussBits]float32
	for i := range t {
		p := (float64(i) + 0.5) / (1 << gaussBits)
		z := math.Sqrt2 * math.Erfinv(2*p-1)
		t[i] = float32(math.Round(z*1024) / 1024)
	}
	return t
}()
