package blosc

import (
	"fmt"
	"testing"
)

// BenchmarkZstdSmallStreams is the study behind smallStreamLen: chunks of n
// bytes taken at successive offsets of micro3m, as a run over many small
// files sees them (the same input over and over would keep the match
// tables' touched lines in cache and hide their cost), each a single
// stream at clevel 8 below 512 KiB. "better" uses SpeedBetterCompression
// for every stream, "auto" the encoder's choice (SpeedDefault under
// smallStreamLen). Compare MB/cpu-s and chunk-bytes (the mean size).
func BenchmarkZstdSmallStreams(b *testing.B) {
	src := readVector(b, "inputs/micro3m.bin")
	for _, n := range []int{1 << 10, 8 << 10, 32 << 10, 128 << 10} {
		for _, mode := range []string{"better", "auto"} {
			b.Run(fmt.Sprintf("%dKiB/%s", n>>10, mode), func(b *testing.B) {
				enc, err := NewEncoder(DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				if mode == "better" {
					enc.workers[0].coder.small = nil
				}
				dst := make([]byte, 0, MaxEncodedLen(n))
				b.SetBytes(int64(n))
				total, off := 0, 0
				cpu0 := encCPUTime()
				b.ResetTimer()
				for range b.N {
					if off+n > len(src) {
						off = 0
					}
					out, err := enc.EncodeAll(src[off:off+n], dst)
					if err != nil {
						b.Fatal(err)
					}
					total += len(out)
					off += n
				}
				b.StopTimer()
				b.ReportMetric(float64(total)/float64(b.N), "chunk-bytes")
				if cpu := (encCPUTime() - cpu0).Seconds(); cpu > 0 {
					b.ReportMetric(float64(n)*float64(b.N)/1e6/cpu, "MB/cpu-s")
				}
			})
		}
	}
}
