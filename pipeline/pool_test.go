package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClassOf(t *testing.T) {
	prev := 0
	for n := 1; n < 1<<22; n += 1 + n/7 {
		c := classOf(n)
		if c < n || c < minClass {
			t.Fatalf("classOf(%d) = %d, too small", n, c)
		}
		if n > minClass && float64(c-n) > float64(n)/8 {
			t.Fatalf("classOf(%d) = %d wastes more than an eighth", n, c)
		}
		if classOf(c) != c {
			t.Fatalf("classOf(%d) = %d is not a fixed point", c, classOf(c))
		}
		if c < prev {
			t.Fatalf("classOf not monotonic at %d", n)
		}
		prev = c
	}
}

func TestPoolWaitsForBudgetAndReuses(t *testing.T) {
	p := NewPool(64 << 10)
	ctx := context.Background()
	a, b, err := p.Reserve(ctx, 12000, 40000)
	if err != nil || len(a.B) != 12000 || len(b.B) != 40000 {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		c, d, err := p.Reserve(ctx, 12000, 12000) // does not fit until a and b return
		if err == nil {
			p.Put(c)
			p.Put(d)
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("second reservation granted beyond the budget")
	case <-time.After(50 * time.Millisecond):
	}
	p.Put(a)
	p.Put(b)
	<-got
	if p.HighWater() > p.Budget() {
		t.Fatalf("high water %d > budget %d", p.HighWater(), p.Budget())
	}
	held := p.Held() // two idle 12 KiB buffers
	if held != int64(2*classOf(12000)) {
		t.Fatalf("held %d, want the two idle buffers of %d", held, classOf(12000))
	}
	c, _, _ := p.Reserve(ctx, 11500, 0) // same class: reused, no new bytes held
	if p.Held() != held || cap(c.B) != classOf(12000) {
		t.Errorf("held %d -> %d, cap %d: an idle buffer of the same class was not reused", held, p.Held(), cap(c.B))
	}
	p.Put(c)
}

func TestPoolCancelWhileWaiting(t *testing.T) {
	p := NewPool(8192)
	a, _, _ := p.Reserve(context.Background(), 8192, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, _, err := p.Reserve(ctx, 4096, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	p.Put(a)
	if _, _, err := p.Reserve(context.Background(), 4096, 4096); err != nil {
		t.Fatal(err)
	}
}

func TestPoolOversizedRunsAlone(t *testing.T) {
	p := NewPool(16 << 10)
	ctx := context.Background()
	small, _, _ := p.Reserve(ctx, 4096, 0)
	done := make(chan *Buf)
	go func() {
		big, _, _ := p.Reserve(ctx, 100_000, 0)
		done <- big
	}()
	select {
	case <-done:
		t.Fatal("oversized reservation granted while another buffer is held")
	case <-time.After(50 * time.Millisecond):
	}
	p.Put(small)
	big := <-done
	if len(big.B) != 100_000 || p.Held() != p.Budget() {
		t.Fatalf("oversized: len %d, held %d", len(big.B), p.Held())
	}
	p.Put(big)
	if p.Held() != 0 {
		t.Fatalf("held %d after everything returned (oversized buffers are not kept)", p.Held())
	}
}

// TestPoolReserveWeight: a weight-only reservation holds budget without a
// buffer, blocks others like a real one, and gives the budget back on Put
// without becoming an idle buffer.
func TestPoolReserveWeight(t *testing.T) {
	p := NewPool(64 << 10)
	ctx := context.Background()
	w, dst, err := p.ReserveWeight(ctx, 50000, 12000)
	if err != nil || w.B != nil || len(dst.B) != 12000 {
		t.Fatalf("err %v, weight buffer %v, dst %d bytes", err, w.B, len(dst.B))
	}
	if held := p.Held(); held != 50000+int64(classOf(12000)) {
		t.Fatalf("held %d, want the weight plus the dst class", held)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, _, err := p.Reserve(cctx, 8000, 0); err == nil {
		t.Fatal("a reservation beyond the budget was granted next to a weight")
	}
	p.Put(w)
	p.Put(dst)
	if held := p.Held(); held != int64(classOf(12000)) {
		t.Fatalf("held %d after Put: only the idle dst buffer should stay", held)
	}
}

// TestPoolOversizedPairKeepsBudget: of a pair above the budget, the buffer
// returned last holds the whole budget until it is returned, so a part
// waiting for its writer after its raw bytes are gone still runs alone.
func TestPoolOversizedPairKeepsBudget(t *testing.T) {
	p := NewPool(1 << 20)
	ctx := context.Background()
	for _, rawFirst := range []bool{true, false} {
		raw, dst, err := p.ReserveWeight(ctx, 3<<20, 3<<20)
		if err != nil {
			t.Fatal(err)
		}
		first, last := raw, dst
		if !rawFirst {
			first, last = dst, raw
		}
		p.Put(first)
		if p.Held() != p.Budget() {
			t.Fatalf("held %d after the first half returned, want the whole budget", p.Held())
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		if _, _, err := p.Reserve(cctx, 4096, 0); err == nil {
			t.Fatal("a reservation was granted beside half of an oversized pair")
		}
		cancel()
		p.Put(last)
		if p.Held() != 0 {
			t.Fatalf("held %d after both returned", p.Held())
		}
	}
}

// TestPoolBigBuffersWritableAndFreed: mapped buffers are zeroed and
// writable, reused while idle, and Close frees the idle ones.
func TestPoolBigBuffersWritableAndFreed(t *testing.T) {
	p := NewPool(64 << 20)
	ctx := context.Background()
	a, b, err := p.Reserve(ctx, 2<<20, bigBuf)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range [][]byte{a.B, b.B} {
		for i := 0; i < len(x); i += 4096 {
			if x[i] != 0 {
				t.Fatal("a new buffer is not zeroed")
			}
			x[i] = 1
		}
	}
	p.Put(a)
	p.Put(b)
	held := p.Held()
	if held == 0 {
		t.Fatal("buffers within a quarter of the budget were not kept for reuse")
	}
	p.Close()
	if p.Held() != 0 {
		t.Fatalf("held %d after Close", p.Held())
	}
}

// TestPoolFIFO: a reservation that would fit waits behind an earlier one that
// does not (it stays queued: waitQueued sees two), so small parts never
// starve a large one; both are granted once the budget allows.
func TestPoolFIFO(t *testing.T) {
	p := NewPool(64 << 10)
	ctx := context.Background()
	hold, _, _ := p.Reserve(ctx, 48<<10, 0)
	granted := make(chan string, 2)
	bufs := make(chan *Buf, 2)
	reserve := func(name string, n int) {
		b, _, err := p.Reserve(ctx, n, 0)
		if err != nil {
			t.Error(err)
		}
		granted <- name
		bufs <- b
	}
	go reserve("large", 32<<10) // 48+32 KiB exceed the budget: it queues
	waitQueued(t, p, 1)
	go reserve("small", 4<<10) // 48+4 KiB fit, but the large one came first
	waitQueued(t, p, 2)
	select {
	case name := <-granted:
		t.Fatalf("%s granted while the large reservation waits ahead of it", name)
	default:
	}
	p.Put(hold)
	<-granted
	<-granted
	p.Put(<-bufs)
	p.Put(<-bufs)
	p.Close()
	if h := p.Held(); h != 0 {
		t.Fatalf("held %d after every buffer came back", h)
	}
}

// waitQueued waits until n reservations wait in p's queue.
func waitQueued(t *testing.T, p *Pool, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		p.mu.Lock()
		q := len(p.waiters)
		p.mu.Unlock()
		if q == n {
			return
		}
	}
	t.Fatalf("%d reservations never queued", n)
}

// TestPoolPutTwice: a buffer has one way back; a second Put would count
// its budget twice, so it is a loud error rather than a silent overdraft.
func TestPoolPutTwice(t *testing.T) {
	p := NewPool(64 << 10)
	b, _, err := p.Reserve(context.Background(), 8<<10, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Put(b)
	defer func() {
		if recover() == nil {
			t.Error("a second Put of the same buffer went through")
		}
		if h := p.Held(); h > 8<<10 {
			t.Errorf("held %d after the second Put", h)
		}
	}()
	p.Put(b)
}
