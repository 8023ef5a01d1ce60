package main

// End-to-end tests of `hdf5vault mount`: each mounts a set for real through
// the built binary and reads it with ordinary file calls, python3-tifffile
// and fusermount3.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// needFuse skips when FUSE cannot work here, saying why.
func needFuse(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("SKIP mount tests: /dev/fuse is not available: %v", err)
	}
	if _, err := exec.LookPath("fusermount3"); err != nil {
		t.Skipf("SKIP mount tests: fusermount3 not found (Debian: fuse3; make deps installs it): %v", err)
	}
}

// mounted is a running `hdf5vault mount`.
type mounted struct {
	dir    string
	cmd    *exec.Cmd
	log    *syncBuffer
	exited chan struct{} // closed once the process has been waited for
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// isMounted reports whether dir is a mount point (from /proc/self/mountinfo).
func isMounted(t testing.TB, dir string) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}

// mountSet mounts the set named by args on a fresh directory and waits
// until it is up; cleanup stops it (and detaches it if a test left it).
func mountSet(t testing.TB, args ...string) *mounted {
	t.Helper()
	needFuse(t)
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := &mounted{dir: dir, log: &syncBuffer{}, exited: make(chan struct{})}
	m.cmd = exec.Command(readBin, append(append([]string{"mount"}, args...), dir)...)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		m.cmd.Wait()
		close(m.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-m.exited:
		default:
			m.cmd.Process.Signal(os.Interrupt)
			select {
			case <-m.exited:
			case <-time.After(10 * time.Second):
				m.cmd.Process.Kill()
				<-m.exited
			}
		}
		if isMounted(t, dir) {
			exec.Command("fusermount3", "-u", "-z", dir).Run()
		}
	})
	for deadline := time.Now().Add(20 * time.Second); !isMounted(t, dir); {
		select {
		case <-m.exited:
			t.Fatalf("mount exited before mounting: %v\n%s", m.cmd.ProcessState, m.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not mounted after 20 s:\n%s", m.log.String())
		}
	}
	return m
}

// stop sends sig and returns the exit code, failing if the mount stays.
func (m *mounted) stop(t testing.TB, sig os.Signal) int {
	t.Helper()
	if sig != nil {
		m.cmd.Process.Signal(sig)
	}
	select {
	case <-m.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("mount still running 15 s after %v:\n%s", sig, m.log.String())
	}
	if isMounted(t, m.dir) {
		t.Errorf("%s is still mounted after %v", m.dir, sig)
	}
	return m.cmd.ProcessState.ExitCode()
}

// logged waits up to 5 s for the mount's stderr to contain s: the log
// reaches the test through a pipe, after the reply to the read.
func (m *mounted) logged(s string) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(m.log.String(), s) {
			return true
		}
	}
	return false
}

// checkMountedTree compares every file under the mount with want, and
// that no other file shows.
func checkMountedTree(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	sameTree(t, sourceFiles(t, dir), want)
}

func TestMountFixtures(t *testing.T) {
	t.Parallel()
	needFixtures(t)
	tree := sourceFiles(t, filepath.Join(fixtures, "tree"))
	for _, fx := range fixtureSets() {
		t.Run(fx.name, func(t *testing.T) {
			m := mountSet(t, fx.args...)
			checkMountedTree(t, m.dir, tree)
			names := listDir(t, filepath.Join(m.dir, "Images"))
			if strings.Join(names, ",") != "A01,A02" {
				t.Errorf("Images lists %q, want the synthesized A01,A02", names)
			}
			if code := m.stop(t, os.Interrupt); code != 0 {
				t.Errorf("exit %d after SIGINT\n%s", code, m.log.String())
			}
		})
	}
}

// bigTree writes files that are compressible but not trivially so: one
// of big bytes (none if 0), to be split into parts by -s, and small ones,
// with modes and mtimes.
func bigTree(t *testing.T, big int) (string, map[string][]byte) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	rng := rand.New(rand.NewPCG(7, 8))
	files := map[string][]byte{}
	add := func(name string, n int, mode os.FileMode, mtime time.Time) {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i / 97)
			if rng.IntN(8) == 0 {
				b[i] = byte(rng.IntN(256))
			}
		}
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		os.Chtimes(p, mtime, mtime)
		files[name] = b
	}
	if big > 0 {
		add("plate/big.bin", big, 0o640, time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC))
	}
	for i := range 6 {
		add(fmt.Sprintf("plate/w%d/f%d.dat", i%3, i), 200_000+i*1000, 0o600, time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC))
	}
	add("top.txt", 10, 0o444, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	return src, files
}

// TestMountOwnSet: a set we wrote (two members, a file split into four
// parts) shows its files with their modes and mtimes, and random ranges,
// also across part boundaries, read right from many readers at once.
func TestMountOwnSet(t *testing.T) {
	t.Parallel()
	needFuse(t)
	src, files := bigTree(t, 6_500_000)
	base := filepath.Join(t.TempDir(), "own")
	mustRun(t, "create", src, base, "-w", "2", "-s", "2000000", "-q")
	m := mountSet(t, "--cache-size", "4MiB", base)
	checkMountedTree(t, m.dir, files)

	st, err := os.Stat(filepath.Join(m.dir, "plate/big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)
	if st.Mode() != 0o640 || !st.ModTime().Equal(want) || st.Size() != 6_500_000 {
		t.Errorf("big.bin: mode %v mtime %v size %d, want 0640 %v 6500000", st.Mode(), st.ModTime(), st.Size(), want)
	}
	if st, err := os.Stat(filepath.Join(m.dir, "plate/w1")); err != nil || !st.IsDir() {
		t.Errorf("plate/w1 is not a directory: %v", err)
	}
	if err := os.WriteFile(filepath.Join(m.dir, "top.txt"), []byte("x"), 0o644); err == nil {
		t.Error("writing into the mount succeeded")
	}

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readRandomRanges(filepath.Join(m.dir, "plate/big.bin"), files["plate/big.bin"], uint64(g), 40)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if code := m.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit %d after SIGTERM\n%s", code, m.log.String())
	}
}

// readRandomRanges reads n ranges of up to 300 KB at random offsets,
// including ones that cross the 2,000,000-byte part boundaries.
func readRandomRanges(path string, want []byte, seed uint64, n int) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(seed, 99))
	for i := range n {
		off := rng.IntN(len(want))
		if i%4 == 0 {
			off = max(0, 2_000_000*(1+rng.IntN(3))-rng.IntN(1000))
		}
		buf := make([]byte, 1+rng.IntN(300_000))
		got, err := f.ReadAt(buf, int64(off))
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %d at %d: %v", len(buf), off, err)
		}
		if !bytes.Equal(buf[:got], want[off:min(len(want), off+len(buf))]) {
			return fmt.Errorf("%d bytes at %d differ from the source", len(buf), off)
		}
	}
	return nil
}

// TestMountTifffile: python3-tifffile reads a synthetic field in place and
// gets the same pixels as from the source.
func TestMountTifffile(t *testing.T) {
	t.Parallel()
	needFuse(t)
	src := filepath.Join(t.TempDir(), "acq")
	mustRun(t, "bench", "--generate", src, "--fields", "2", "--field-size", "2097152")
	base := filepath.Join(t.TempDir(), "acq")
	mustRun(t, "create", src, base, "-q")
	m := mountSet(t, base)
	tifs, _ := filepath.Glob(filepath.Join(src, "Plate1", "*", "*.tif"))
	if len(tifs) == 0 {
		t.Fatal("no field generated")
	}
	rel, _ := filepath.Rel(src, tifs[0])
	out, err := exec.Command("/usr/bin/python3", "-c", `import sys, tifffile, numpy
a = tifffile.imread(sys.argv[1]); b = tifffile.imread(sys.argv[2])
print(a.shape, a.dtype, numpy.array_equal(a, b))`, filepath.Join(m.dir, rel), tifs[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("tifffile: %v\n%s", err, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "True") {
		t.Errorf("tifffile through the mount: %s", out)
	}
}

// damage flips a byte in the middle of the payload of the dataset whose
// name starts with prefix (located with h5py).
func damage(t *testing.T, archive, prefix string) {
	t.Helper()
	b, err := exec.Command("/usr/bin/python3", "-c", `import h5py, sys
f = h5py.File(sys.argv[1], "r")
found = []
f.visititems(lambda n, o: found.append((n, o)) if isinstance(o, h5py.Dataset) and n.startswith(sys.argv[2]) else None)
d = found[0][1]
print(d.id.get_offset(), d.shape[0])`, archive, prefix).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, b)
	}
	var off, size int64
	if _, err := fmt.Sscan(string(b), &off, &size); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	fh, err := os.OpenFile(archive, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	b = make([]byte, 8)
	fh.ReadAt(b, off+size/2)
	for i := range b {
		b[i] ^= 0x5a
	}
	fh.WriteAt(b, off+size/2)
}

// TestMountDamaged: a damaged compressed chunk and a damaged raw payload
// (caught only by the checksum once the file is read to the end) give EIO
// on that file only, logged with its name; the other files read fine.
func TestMountDamaged(t *testing.T) {
	t.Parallel()
	needFuse(t)
	src, files := bigTree(t, 0)
	for _, method := range []string{"blosc2", "none"} {
		t.Run(method, func(t *testing.T) {
			base := filepath.Join(t.TempDir(), "dmg")
			mustRun(t, "create", src, base, "-w", "1", "-m", method, "-q")
			damage(t, base+".h5", "plate/w1/f4.dat")
			m := mountSet(t, base)
			_, err := os.ReadFile(filepath.Join(m.dir, "plate/w1/f4.dat"))
			if !errors.Is(err, syscall.EIO) {
				t.Errorf("reading the damaged file: %v, want EIO", err)
			}
			if !m.logged("plate/w1/f4.dat") {
				t.Errorf("the log does not name the damaged file:\n%s", m.log.String())
			}
			delete(files, "plate/w1/f4.dat")
			for name, want := range files {
				got, err := os.ReadFile(filepath.Join(m.dir, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: %v (or content differs) beside a damaged file", name, err)
				}
			}
		})
	}
}

// TestMountStops: SIGINT, SIGTERM and fusermount3 -u each end the process
// with the mount gone.
func TestMountStops(t *testing.T) {
	needFixtures(t)
	set := filepath.Join(fixtures, "archives", "single.h5")
	for _, how := range []string{"SIGINT", "SIGTERM", "fusermount3"} {
		t.Run(how, func(t *testing.T) {
			m := mountSet(t, set)
			var sig os.Signal
			switch how {
			case "SIGINT":
				sig = os.Interrupt
			case "SIGTERM":
				sig = syscall.SIGTERM
			default:
				// A mount just made may be busy for a moment (the kernel
				// still answering its first lookups): retry as a user would.
				for try := 0; ; try++ {
					out, err := exec.Command("fusermount3", "-u", m.dir).CombinedOutput()
					if err == nil {
						break
					}
					if try == 20 || !strings.Contains(string(out), "busy") {
						t.Fatalf("fusermount3 -u: %v\n%s", err, out)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			if code := m.stop(t, sig); code != 0 {
				t.Errorf("exit %d\n%s", code, m.log.String())
			}
		})
	}
}

func TestMountUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"mount"},
		{"mount", dir},
		{"mount", "--cache-size", "12", "x", dir},
	} {
		if r := runBin(t, args...); r.code != exitUsage {
			t.Errorf("%q: exit %d, want %d\n%s", args, r.code, exitUsage, r.stderr)
		}
	}
	r := runBin(t, "mount", filepath.Join(dir, "nothing"), filepath.Join(dir, "not-a-dir"))
	if r.code != exitFailure || !strings.Contains(r.stderr, "not-a-dir") {
		t.Errorf("missing mount point: exit %d\n%s", r.code, r.stderr)
	}
}

// TestMountManyFiles: a set of thousands of files (many side index blocks)
// in nested directories, with names that sort around '/' ("a", "a-b",
// "a.txt", "a/b"), lists every directory as the source does and reads
// every file right; the listing is paged from the side index.
func TestMountManyFiles(t *testing.T) {
	t.Parallel()
	needFuse(t)
	src := filepath.Join(t.TempDir(), "src")
	files := map[string][]byte{}
	add := func(name string, b []byte) {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	for i := range 3000 {
		add(fmt.Sprintf("w%02d/f%04d", i%37, i), []byte(fmt.Sprintf("file %d\n", i)))
	}
	for _, n := range []string{"a", "a-b", "a.txt", "a/b", "a/b.c", "a0", "w05x", "w05/zz/deep/x"} {
		if n == "a" { // "a" is the directory of "a/b": make the file "a " instead
			n = "a "
		}
		add(n, []byte(n))
	}
	base := filepath.Join(t.TempDir(), "many")
	mustRun(t, "create", src, base, "-w", "2", "-q")
	m := mountSet(t, base)
	checkMountedTree(t, m.dir, files)
	for _, d := range []string{".", "a", "w05", "w05/zz/deep"} {
		want := listDir(t, filepath.Join(src, d))
		if got := listDir(t, filepath.Join(m.dir, d)); strings.Join(got, "/") != strings.Join(want, "/") {
			t.Errorf("%s lists %q, the source %q", d, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(m.dir, "w05/f9999")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of a file not in the set: %v, want not found", err)
	}
	if code := m.stop(t, os.Interrupt); code != 0 {
		t.Errorf("exit %d after SIGINT\n%s", code, m.log.String())
	}
}

// TestMountNoXattrRequests: the archive has no extended attributes, and
// the mount says so once for the whole file system (ENOSYS), so the
// getxattr calls `ls -l` makes for every file do not each become a request
// to the mount process.
func TestMountNoXattrRequests(t *testing.T) {
	needFuse(t)
	src, files := bigTree(t, 0)
	base := filepath.Join(t.TempDir(), "xattr")
	mustRun(t, "create", src, base, "-q")
	m := mountSet(t, "--debug", base)
	buf := make([]byte, 256)
	for name := range files {
		for _, attr := range []string{"security.selinux", "system.posix_acl_access"} {
			// The kernel answers an ACL query itself (no ACL: ENODATA),
			// other names with EOPNOTSUPP.
			_, err := syscall.Getxattr(filepath.Join(m.dir, name), attr, buf)
			if !errors.Is(err, syscall.EOPNOTSUPP) && !errors.Is(err, syscall.ENODATA) {
				t.Errorf("getxattr %s %s: %v, want %v or %v", name, attr, err, syscall.EOPNOTSUPP, syscall.ENODATA)
			}
		}
	}
	if code := m.stop(t, os.Interrupt); code != 0 {
		t.Errorf("exit %d after SIGINT\n%s", code, m.log.String())
	}
	n := 0
	for _, line := range strings.Split(m.log.String(), "\n") {
		if strings.Contains(line, "rx ") && strings.Contains(line, "GETXATTR") {
			n++
		}
	}
	if n > 1 {
		t.Errorf("%d getxattr requests reached the mount for %d calls, want at most 1", n, 2*len(files))
	}
}
