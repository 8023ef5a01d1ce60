package mount

import (
	"context"
	"fmt"
	"io"
	"log"
	"os/exec"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/hdf5vault/hdf5vault/archiveset"
)

// Options configure Serve.
type Options struct {
	CacheSize int64     // bytes of decoded blocks kept (at least one block is needed)
	Log       io.Writer // read errors, naming the file
	Name      string    // shown as the file system's source in mount(8)
	Debug     bool      // log every FUSE request
}

// DefaultCacheSize is --cache-size's default.
const DefaultCacheSize = 64 << 20

// cacheTime is how long the kernel may keep names and attributes: the
// archive never changes while mounted.
const cacheTime = time.Hour

// Serve mounts set read-only at mountpoint and serves it until the file
// system is unmounted (fusermount3 -u) or ctx is cancelled, which unmounts
// it. ready, if not nil, is called once the mount is up.
func Serve(ctx context.Context, set *archiveset.Set, mountpoint string, o Options, ready func()) error {
	src, err := newSource(set)
	if err != nil {
		return err
	}
	t := &tree{r: newReader(src, o.CacheSize), log: log.New(o.Log, "hdf5vault mount: ", log.LstdFlags)}
	for _, m := range src.mtimes {
		if m.After(t.mtime) {
			t.mtime = m
		}
	}
	root := &dirNode{t: t, lo: 0, hi: src.files.len()}
	ttl := cacheTime
	server, err := fs.Mount(mountpoint, root, &fs.Options{
		EntryTimeout: &ttl,
		AttrTimeout:  &ttl,
		MountOptions: fuse.MountOptions{
			FsName:       o.Name,
			Name:         "hdf5vault",
			Options:      []string{"ro"},
			MaxWrite:     1 << 20, // also the largest read request
			MaxReadAhead: 1 << 20,
			// The archive stores no extended attributes. Answering
			// ENOSYS once stops the kernel asking: otherwise `ls -l`
			// sends two getxattr requests per file (ACL and SELinux
			// label), which at 250 files was most of a listing.
			DisableXAttrs: true,
			Debug:         o.Debug,
		},
	})
	if err != nil {
		return fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	if ready != nil {
		ready()
	}
	done := make(chan struct{})
	go func() {
		server.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	unmount(server, mountpoint, t.log, done)
	<-done
	return nil
}

// unmount detaches the file system; when it is busy (a process still has
// a file open) it retries for a while and then detaches it lazily, so the
// mount point is freed once the last user closes it.
func unmount(server *fuse.Server, mountpoint string, l *log.Logger, done <-chan struct{}) {
	for try := 0; ; try++ {
		err := server.Unmount()
		if err == nil {
			return
		}
		select {
		case <-done:
			return
		default:
		}
		if try == 10 {
			l.Printf("unmount %s: %v; detaching it lazily", mountpoint, err)
			if out, err := exec.Command("fusermount3", "-u", "-z", mountpoint).CombinedOutput(); err != nil {
				l.Printf("fusermount3 -u -z %s: %v: %s", mountpoint, err, out)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
