package bench

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// Pair is one round of the bound comparison: the in-memory bound and then
// create at defaults, back to back, so that both see the machine in the
// same state (on a shared VM the same run varies by up to 1.5x between
// minutes, far more than the difference being measured).
type Pair struct{ Bound, Create Result }

// Share is create's throughput as a fraction of the bound's in this round.
func (p Pair) Share() float64 {
	if p.Bound.MBps() <= 0 {
		return 0
	}
	return p.Create.MBps() / p.Bound.MBps()
}

// Comparison sums up the rounds: the fastest run of each side (what each
// reaches when the machine is quiet) and the median of the rounds' shares.
type Comparison struct {
	Pairs        []Pair
	Bound        Result  // the fastest bound
	Create       Result  // the fastest create
	BestShare    float64 // Create's MB/s over Bound's
	MedianShare  float64
	Rounds       int    // rounds with a successful create
	FailedCreate string // a failed create's error; its round is left out
}

// Compare sums up rounds. ok is false when there is nothing to compare.
func Compare(pairs []Pair) (c Comparison, ok bool) {
	c.Pairs = pairs
	var shares []float64
	for _, p := range pairs {
		if p.Create.Err != "" { // its bound has no partner
			c.FailedCreate = p.Create.Err
			continue
		}
		if len(shares) == 0 || p.Bound.Wall < c.Bound.Wall {
			c.Bound = p.Bound
		}
		if len(shares) == 0 || p.Create.Wall < c.Create.Wall {
			c.Create = p.Create
		}
		shares = append(shares, p.Share())
	}
	if len(shares) == 0 || c.Bound.MBps() <= 0 {
		return c, false
	}
	c.Rounds = len(shares)
	c.BestShare = c.Create.MBps() / c.Bound.MBps()
	slices.Sort(shares)
	n := len(shares)
	c.MedianShare = (shares[(n-1)/2] + shares[n/2]) / 2
	return c, true
}

// Write prints the rounds and the verdict against the goal (create at
// least 90% of the bound).
func (c Comparison) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "round\tbound MB/s\tcreate %s MB/s\tshare\t\n", c.Create.Setting)
	for i, p := range c.Pairs {
		if p.Create.Err != "" {
			fmt.Fprintf(tw, "%d\t%.1f\tFAILED\t-\t\n", i+1, p.Bound.MBps())
			continue
		}
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.0f%%\t\n", i+1, p.Bound.MBps(), p.Create.MBps(), 100*p.Share())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "create %s reached %.0f%% of the in-memory bound (fastest of %d interleaved runs each: "+
		"%.1f of %.1f MB/s); median of the rounds: %.0f%%\n",
		c.Create.Setting, 100*c.BestShare, c.Rounds, c.Create.MBps(), c.Bound.MBps(), 100*c.MedianShare)
	return err
}

// Rows are the rounds as results for CSV: each bound (op compress-in-memory)
// and its create (op OpPaired).
func (c Comparison) Rows() []Result {
	var rs []Result
	for _, p := range c.Pairs {
		cr := p.Create
		cr.Op = OpPaired
		rs = append(rs, p.Bound, cr)
	}
	return rs
}
