package pipeline

import (
	"go/build"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEngineShowsNothing: the engine only calls back. Nothing it imports,
// directly or not, draws on a terminal (progress bars, terminal queries,
// package progress) or names and commits the set (setwriter): rendering
// belongs to package progress, the set to its owner.
func TestEngineShowsNothing(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(build.Default.GOROOT, "bin", "go")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/schollz/progressbar", "golang.org/x/term", "github.com/mattn/go-isatty",
		"github.com/mitchellh/colorstring", "github.com/rivo/uniseg",
		"github.com/hdf5vault/hdf5vault/progress", "github.com/hdf5vault/hdf5vault/setwriter",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed too little to judge: %q", deps)
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("pipeline depends on %s", d)
			}
		}
	}
}
