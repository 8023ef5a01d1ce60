package pipeline

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/hdf5vault/hdf5vault/archive"
)

// router sends each payload to the archive file with the fewest bytes routed
// so far, which keeps the files of a set balanced whatever the order and
// sizes of the parts. It also keeps two siblings whose dataset names are
// equal ("x" compressed and a raw "x.blosc2") in different files; only
// names the walker flagged as possibly colliding are remembered.
type router struct {
	mu      sync.Mutex
	bytes   []int64
	claimed []map[string]string // per archive file: dataset name -> source file (Rel)
	root    string              // the source, for messages
}

func newRouter(n int, root string) *router {
	return &router{bytes: make([]int64, n), claimed: make([]map[string]string, n), root: root}
}

// pick names p's dataset and chooses its archive file.
func (r *router) pick(p *part) (int, error) {
	f := p.file
	p.dataset = archive.DatasetName(f.Rel, p.k, len(f.parts), p.comp)
	r.mu.Lock()
	defer r.mu.Unlock()
	best := -1
	for i, b := range r.bytes {
		if f.MayCollide && r.claimed[i][p.dataset] != "" {
			continue
		}
		if best < 0 || b < r.bytes[best] {
			best = i
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("%s: its dataset name %q equals that of %s in every archive file; use more writers (-w) or rename one of them",
			filepath.Join(r.root, f.Rel), p.dataset, filepath.Join(r.root, r.claimed[0][p.dataset]))
	}
	r.bytes[best] += int64(len(p.payload))
	if f.MayCollide {
		if r.claimed[best] == nil {
			r.claimed[best] = make(map[string]string)
		}
		r.claimed[best][p.dataset] = f.Rel
	}
	return best, nil
}
