//go:build !linux

package bench

import "os"

// Off Linux the rusage units and semantics differ: the peak is unknown and
// the table shows "-".
type rssWatch struct{}

func watchRSS(int) *rssWatch                { return &rssWatch{} }
func (*rssWatch) finish() int64             { return 0 }
func peakRSS(*os.ProcessState, int64) int64 { return 0 }
