package mount

import "testing"

func TestCacheStaysWithinBudget(t *testing.T) {
	c := newCache(1000)
	for i := range 50 {
		c.put(key{0, 0, i}, make([]byte, 300), 300)
		if c.used > c.limit {
			t.Fatalf("after %d puts: %d bytes cached, limit %d", i+1, c.used, c.limit)
		}
	}
	if _, ok := c.get(key{0, 0, 49}); !ok {
		t.Error("the newest block was evicted")
	}
	if _, ok := c.get(key{0, 0, 0}); ok {
		t.Error("the oldest block is still cached")
	}
	// A recently used block survives the next eviction.
	c.get(key{0, 0, 47})
	c.put(key{1, 0, 0}, make([]byte, 300), 300)
	if _, ok := c.get(key{0, 0, 47}); !ok {
		t.Error("a block just read was evicted before older ones")
	}
	c.put(key{2, 0, 0}, make([]byte, 2000), 2000)
	if _, ok := c.get(key{2, 0, 0}); ok || c.used > c.limit {
		t.Errorf("an item larger than the budget was kept (%d bytes used)", c.used)
	}
}
