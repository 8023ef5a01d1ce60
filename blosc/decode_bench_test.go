package blosc

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used so far. The machine is
// shared, so wall-clock MB/s understates the speed per core; the benchmarks
// also report MB/s per CPU-second ("cpu-MB/s").
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPURate adds the cpu-MB/s metric for a loop that started at cpu0.
func reportCPURate(b *testing.B, cpu0 time.Duration, bytesPerOp int) {
	if used := cpuTime() - cpu0; used > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/used.Seconds()/1e6, "cpu-MB/s")
	}
}

// benchDecodeVector decodes one C-made vector chunk b.N times.
func benchDecodeVector(b *testing.B, name string) {
	chunk := readDecVector(b, filepath.Join("chunks", name))
	h, err := ParseHeader(chunk)
	if err != nil {
		b.Fatal(err)
	}
	d := NewDecoder()
	out, err := d.DecodeAll(chunk, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(h.NBytes))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		if out, err = d.DecodeAll(chunk, out[:0]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPURate(b, cpu0, h.NBytes)
}

// The HDF5Vault default: zstd clevel 8, typesize 8, byte shuffle, 3 MB.
func BenchmarkDecodeZstdMicro3M(b *testing.B) {
	benchDecodeVector(b, "micro3m__zstd_c8_t8_shuffle_auto.b2")
}

func BenchmarkDecodeZstdDictMicro3M(b *testing.B) {
	benchDecodeVector(b, "micro3m__zstd_c8_t8_shuffle_auto_dict.b2")
}

func BenchmarkDecodeLZ4Shuffle(b *testing.B) {
	benchDecodeVector(b, "micro300k__lz4_c5_t8_shuffle_always.b2")
}

func BenchmarkDecodeBloscLZShuffle(b *testing.B) {
	benchDecodeVector(b, "micro300k__blosclz_c5_t8_shuffle_always.b2")
}

func BenchmarkDecodeZlibBitShuffle(b *testing.B) {
	benchDecodeVector(b, "micro300k__zlib_c5_t8_bitshuffle_always.b2")
}

func BenchmarkDecodeZstdBitShuffle(b *testing.B) {
	benchDecodeVector(b, "micro300k__zstd_c5_t8_bitshuffle_always.b2")
}

func BenchmarkDecodeMemcpy(b *testing.B) {
	benchDecodeVector(b, "micro300k__zstd_c0_t8_shuffle_auto.b2")
}
