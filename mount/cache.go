package mount

import (
	"container/list"
	"sync"
)

// key names a cached item: block b of part p of file f; b == layoutBlock
// for the part's parsed block layout.
type key struct {
	file, part, block int
}

const layoutBlock = -1

// cache holds decoded blocks and block layouts, least recently used first
// out, within a byte budget. Values are never modified once stored.
type cache struct {
	mu    sync.Mutex
	limit int64
	used  int64
	order *list.List // front: most recently used
	items map[key]*list.Element
}

type cached struct {
	k    key
	v    any
	size int64
}

func newCache(limit int64) *cache {
	return &cache{limit: limit, order: list.New(), items: make(map[key]*list.Element)}
}

func (c *cache) get(k key) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cached).v, true
}

// put stores v, which costs size bytes, evicting the oldest items to stay
// within the budget. An item larger than the whole budget is not kept.
func (c *cache) put(k key, v any, size int64) {
	if size > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		return
	}
	for c.used+size > c.limit {
		old := c.order.Back()
		it := old.Value.(*cached)
		c.order.Remove(old)
		delete(c.items, it.k)
		c.used -= it.size
	}
	c.items[k] = c.order.PushFront(&cached{k: k, v: v, size: size})
	c.used += size
}
