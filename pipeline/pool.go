package pipeline

import (
	"context"
	"math/bits"
	"sync"
)

// Pool hands out byte buffers under a memory budget. It is the pipeline's
// backpressure: the reader must reserve a part's buffers here before reading
// it, and a reservation waits (first come, first served) until earlier parts
// have been written and their buffers returned. Returned buffers are kept for
// reuse while they fit the budget, so a steady run allocates little.
//
// Held bytes (buffers in use plus idle ones kept for reuse) never exceed the
// budget, with one exception: a reservation larger than the whole budget is
// granted when nothing else is held, and then runs alone (it counts as the
// full budget until both its buffers are returned).
//
// Buffers of bigBuf bytes and more are mapped from the OS and unmapped when
// the pool drops them, so that the memory held is the memory resident: a
// dropped buffer on the Go heap stays resident until the collector and the
// scavenger get to it, which let runs of large parts reach three times the
// budget. Call Close to unmap the idle buffers when the pool is done.
type Pool struct {
	mu      sync.Mutex
	budget  int64
	held    int64            // bytes of buffers in use or idle
	idle    map[int][][]byte // reusable buffers by capacity class
	waiters []*waiter        // FIFO, so a large reservation is not starved by small ones
	high    int64            // high-water mark of held
}

// Buf is a buffer from a Pool; return it with Put exactly once.
type Buf struct {
	B    []byte
	w    int64 // bytes of budget it holds
	twin *Buf  // of a reservation above the budget: takes over w when this one returns first
	back bool  // returned: a second Put would count its budget twice
}

type waiter struct {
	sizes [2]int
	bare  bool // sizes[0] is budget only, with no buffer (ReserveWeight)
	got   [2]*Buf
	ready chan struct{}
}

// NewPool returns a pool of at most budget bytes (at least one page).
func NewPool(budget int64) *Pool {
	if budget < minClass {
		budget = minClass
	}
	return &Pool{budget: budget, idle: make(map[int][][]byte)}
}

// Budget is the pool's limit in bytes.
func (p *Pool) Budget() int64 { return p.budget }

// HighWater is the most bytes the pool ever held at once.
func (p *Pool) HighWater() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.high
}

// Held is the bytes currently held (in use or idle).
func (p *Pool) Held() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// Reserve returns buffers of length a and b (b may be 0: no second buffer),
// reserved together so a part never holds one while waiting for the other.
func (p *Pool) Reserve(ctx context.Context, a, b int) (*Buf, *Buf, error) {
	return p.reserve(ctx, &waiter{sizes: [2]int{a, b}})
}

// ReserveWeight is Reserve for memory the caller already has, such as a
// mapped file: the first Buf holds a bytes of budget but no buffer.
func (p *Pool) ReserveWeight(ctx context.Context, a, b int) (*Buf, *Buf, error) {
	return p.reserve(ctx, &waiter{sizes: [2]int{a, b}, bare: true})
}

func (p *Pool) reserve(ctx context.Context, w *waiter) (*Buf, *Buf, error) {
	p.mu.Lock()
	if len(p.waiters) == 0 && p.tryLocked(w) {
		p.mu.Unlock()
		return w.got[0], w.got[1], nil
	}
	w.ready = make(chan struct{})
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	select {
	case <-w.ready:
		return w.got[0], w.got[1], nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: give it back
		p.putLocked(w.got[0])
		p.putLocked(w.got[1])
	default:
		for i, x := range p.waiters {
			if x == w {
				p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
				break
			}
		}
	}
	p.grantLocked() // a head that left may unblock the next
	return nil, nil, ctx.Err()
}

// Put returns a buffer (nil is ignored).
func (p *Pool) Put(b *Buf) {
	if b == nil {
		return
	}
	if b.back { // checked before locking: the pool stays usable
		panic("pipeline: a pool buffer was returned twice")
	}
	p.mu.Lock()
	p.putLocked(b)
	p.grantLocked()
	p.mu.Unlock()
}

func (p *Pool) putLocked(b *Buf) {
	if b == nil {
		return
	}
	b.back = true
	if t := b.twin; t != nil { // the other half still runs alone: it keeps the budget
		t.w, b.w = t.w+b.w, 0
		t.twin, b.twin = nil, nil
	}
	c := cap(b.B)
	if b.w == int64(c) && c == classOf(c) && int64(c) <= p.budget/4 {
		p.idle[c] = append(p.idle[c], b.B[:0]) // keeps its weight in held
		return
	}
	p.held -= b.w
	freeBuf(b.B)
	b.B = nil
}

// Close unmaps the idle buffers. Buffers still in use are not touched; the
// pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropIdle(p.held)
}

// grantLocked serves waiters in order while the head fits.
func (p *Pool) grantLocked() {
	for len(p.waiters) > 0 && p.tryLocked(p.waiters[0]) {
		close(p.waiters[0].ready)
		p.waiters = p.waiters[1:]
	}
}

// tryLocked fills w.got if the budget allows, reusing idle buffers first.
func (p *Pool) tryLocked(w *waiter) bool {
	var reuse [2][]byte
	var need [2]int64
	for i, n := range w.sizes {
		if n <= 0 {
			continue
		}
		c := classOf(n)
		if i == 0 && w.bare {
			need[i] = int64(n)
		} else if l := p.idle[c]; len(l) > 0 {
			reuse[i], p.idle[c] = l[len(l)-1], l[:len(l)-1]
		} else {
			need[i] = int64(c)
		}
	}
	total := min(need[0]+need[1], p.budget) // larger than the budget: runs alone
	if p.held+total > p.budget {
		p.dropIdle(p.held + total - p.budget)
	}
	if p.held+total > p.budget {
		for _, b := range reuse {
			if b != nil {
				c := cap(b)
				p.idle[c] = append(p.idle[c], b)
			}
		}
		return false
	}
	p.held += total
	p.high = max(p.high, p.held)
	left := total
	for i, n := range w.sizes {
		switch {
		case n <= 0:
		case reuse[i] != nil:
			w.got[i] = &Buf{B: reuse[i][:n], w: int64(cap(reuse[i]))}
		default:
			wi := min(need[i], left)
			left -= wi
			w.got[i] = &Buf{w: wi}
			if i > 0 || !w.bare {
				w.got[i].B = allocBuf(n, classOf(n))
			}
		}
	}
	if a, b := w.got[0], w.got[1]; a != nil && b != nil && total < need[0]+need[1] {
		a.twin, b.twin = b, a
	}
	return true
}

// dropIdle frees idle buffers until at least n bytes are freed or none are
// left.
func (p *Pool) dropIdle(n int64) {
	for c, l := range p.idle {
		for len(l) > 0 && n > 0 {
			freeBuf(l[len(l)-1])
			l = l[:len(l)-1]
			p.held -= int64(c)
			n -= int64(c)
		}
		if len(l) == 0 {
			delete(p.idle, c)
		} else {
			p.idle[c] = l
		}
		if n <= 0 {
			return
		}
	}
}

// minClass is the smallest buffer the pool allocates.
const minClass = 4096

// bigBuf is the capacity from which buffers are mapped rather than taken
// from the Go heap. Smaller ones are many and short-lived, where the heap is
// cheaper than a system call each.
const bigBuf = 1 << 20

// allocBuf returns a buffer of length n and capacity c.
func allocBuf(n, c int) []byte {
	if c < bigBuf {
		return make([]byte, n, c)
	}
	return mapAnon(c)[:n]
}

// freeBuf unmaps a buffer from allocBuf; heap buffers are left to the GC.
func freeBuf(b []byte) {
	if cap(b) >= bigBuf {
		unmapAnon(b[:cap(b)])
	}
}

// classOf rounds n up to a size class: eight steps per power of two above
// minClass, so a buffer wastes at most an eighth and similar files (the usual
// case: one acquisition's images) reuse each other's buffers.
func classOf(n int) int {
	if n <= minClass {
		return minClass
	}
	shift := bits.Len(uint(n-1)) - 4 // step = 2^shift, 8 steps per octave
	step := 1 << shift
	return (n + step - 1) / step * step
}
