package blosc

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// BenchmarkEncode measures single-chunk compression of micro3m.bin (3 MB of
// 16-bit microscopy data) at the original's settings (zstd, clevel 8,
// typesize 8, byte shuffle), with 1 and 2 goroutines per chunk, and
// reports the chunk size as a metric.
func BenchmarkEncode(b *testing.B) {
	src := readVector(b, "inputs/micro3m.bin")
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("zstd-c8/threads=%d", threads), func(b *testing.B) {
			o := DefaultOptions()
			o.Threads = threads
			benchEncode(b, o, src)
		})
	}
}

// BenchmarkEncodeCodecs covers the other codecs and levels, single-threaded.
func BenchmarkEncodeCodecs(b *testing.B) {
	src := readVector(b, "inputs/micro3m.bin")
	for _, codec := range allCodecs {
		for _, level := range []int{1, 5, 9} {
			b.Run(fmt.Sprintf("%v-c%d", codec, level), func(b *testing.B) {
				o := DefaultOptions()
				o.Codec, o.Level = codec, level
				benchEncode(b, o, src)
			})
		}
	}
}

// BenchmarkZstdLevels is the study behind zstdLevel: each klauspost level
// at the original's settings (clevel 8 block layout) on micro3m and
// micro300k; compare chunk-bytes with C's cbytes (1197415 and 118955).
func BenchmarkZstdLevels(b *testing.B) {
	levels := []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault, zstd.SpeedBetterCompression, zstd.SpeedBestCompression}
	for _, name := range []string{"micro3m", "micro300k"} {
		src := readVector(b, "inputs/"+name+".bin")
		for _, level := range levels {
			b.Run(fmt.Sprintf("%s/%v", name, level), func(b *testing.B) {
				enc, err := NewEncoder(DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				if enc.workers[0].coder.zstd, err = newZstdEncoder(level); err != nil {
					b.Fatal(err)
				}
				benchEncoder(b, enc, src)
			})
		}
	}
}

func benchEncode(b *testing.B, o Options, src []byte) {
	enc, err := NewEncoder(o)
	if err != nil {
		b.Fatal(err)
	}
	benchEncoder(b, enc, src)
}

func benchEncoder(b *testing.B, enc *Encoder, src []byte) {
	dst := make([]byte, 0, MaxEncodedLen(len(src)))
	out, err := enc.EncodeAll(src, dst) // warm up codec state
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	cpu0 := encCPUTime()
	b.ResetTimer()
	for range b.N {
		out, _ = enc.EncodeAll(src, dst)
	}
	b.StopTimer()
	b.ReportMetric(float64(len(out)), "chunk-bytes")
	// MB per CPU-second: unlike MB/s, not inflated by other processes
	// competing for the cores (the machine is shared).
	if cpu := (encCPUTime() - cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(float64(len(src))*float64(b.N)/1e6/cpu, "MB/cpu-s")
	}
}

// encCPUTime is the CPU time (user + system) this process has used.
func encCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
