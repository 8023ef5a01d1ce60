package archiveset

import (
	"os"
	"path/filepath"
	"testing"
)

// A name that appears in DEST while a file is being restored is never
// replaced: not by the one-call publish, nor by the link(2) fallback.
func TestPublishNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	dirs, err := newDirRoots(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dirs.close()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	full := filepath.Join(dir, "f.txt")
	ways := []struct {
		how     string
		publish func() error
	}{
		{"publish", func() error { return publish(dirs.top, "hv1.tmp", "f.txt", full) }},
		{"linkPublish", func() error { return linkPublish(root, "hv1.tmp", "f.txt", full) }},
	}
	write("hv1.tmp", "restored")
	write("f.txt", "mine")
	for _, c := range ways {
		wantErr(t, c.publish(), full, "appeared during unpack: refusing to overwrite")
		if got := read("f.txt"); got != "mine" {
			t.Errorf("%s replaced the existing file: it holds %q", c.how, got)
		}
		if got := read("hv1.tmp"); got != "restored" {
			t.Errorf("%s lost the temporary file: it holds %q", c.how, got)
		}
	}
	for _, c := range ways {
		os.Remove(full)
		write("hv1.tmp", "restored")
		if err := c.publish(); err != nil {
			t.Fatalf("%s: %v", c.how, err)
		}
		if got := read("f.txt"); got != "restored" {
			t.Errorf("%s: the file holds %q", c.how, got)
		}
		if _, err := os.Lstat(filepath.Join(dir, "hv1.tmp")); !os.IsNotExist(err) {
			t.Errorf("%s left the temporary name: %v", c.how, err)
		}
	}
}
