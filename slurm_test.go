package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hdf5vault/hdf5vault/archive"
)

// A one-node Slurm cluster on this machine, for the tests: munged,
// slurmctld and slurmd in the foreground as children of the test, with
// their configuration, state, spool, sockets and logs in a temporary
// directory, so nothing of the system's is used or changed. It needs
// Debian's slurm-wlm and munge (scripts/deps.sh installs them) and root
// (SlurmUser=root, as on the project's CI machines).
type slurmCluster struct {
	t     *testing.T
	dir   string
	env   []string
	procs []*exec.Cmd
}

// slurmTools are the programs the cluster needs.
var slurmTools = []string{"munged", "mungekey", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "scancel"}

func needSlurm(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the one-node Slurm cluster runs its daemons as root (SlurmUser=root)")
	}
	missing := func() []string {
		var m []string
		for _, p := range slurmTools {
			if _, err := exec.LookPath(p); err != nil {
				if _, err := os.Stat(filepath.Join("/usr/sbin", p)); err != nil {
					m = append(m, p)
				}
			}
		}
		return m
	}
	if len(missing()) == 0 {
		return
	}
	// Install what is missing the way make deps does; skip only if that fails.
	out, err := exec.Command("bash", "scripts/deps.sh").CombinedOutput()
	if m := missing(); len(m) > 0 {
		t.Skipf("Slurm is not installed (%s missing) and scripts/deps.sh could not install it (%v): %s", strings.Join(m, ", "), err, lastLines(out, 5))
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// startSlurm starts the cluster; it is stopped when the test ends, its
// jobs cancelled and its daemons killed if they do not stop in time.
func startSlurm(t *testing.T) *slurmCluster {
	needSlurm(t)
	c := &slurmCluster{t: t, dir: t.TempDir()}
	t.Cleanup(c.stop)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host = strings.SplitN(host, ".", 2)[0]
	for _, d := range []string{"state", "spool", "munge", "jobs"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(c.dir, 0o755) // munged wants the socket's directories searchable by all
	sock := filepath.Join(c.dir, "munge", "sock")
	key := filepath.Join(c.dir, "munge", "munge.key")
	if out, err := exec.Command(sbin("mungekey"), "--create", "--keyfile="+key).CombinedOutput(); err != nil {
		t.Fatalf("mungekey: %v: %s", err, out)
	}
	c.start("munged", "-F", "--force", "--socket="+sock, "--key-file="+key,
		"--log-file="+filepath.Join(c.dir, "munge", "log"), "--pid-file="+filepath.Join(c.dir, "munge", "pid"),
		"--seed-file="+filepath.Join(c.dir, "munge", "seed"))
	c.waitFor("munged", func() bool { _, err := os.Stat(sock); return err == nil })

	conf := filepath.Join(c.dir, "slurm.conf")
	if err := os.WriteFile(conf, []byte(slurmConf(c.dir, host, sock, freePort(t), freePort(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	c.env = append(os.Environ(), "SLURM_CONF="+conf)
	c.start("slurmctld", "-D", "-i", "-f", conf)
	c.start("slurmd", "-D", "-N", host, "-f", conf)
	c.waitFor("the node to be idle", func() bool {
		out, _ := c.command("sinfo", "-h", "-o", "%t").Output()
		return strings.TrimSpace(string(out)) == "idle"
	})
	return c
}

// slurmConf is the minimal configuration of a one-node cluster: no
// cgroups (processes tracked through /proc), no accounting, CPUs
// allocated one by one so array tasks run side by side.
func slurmConf(dir, host, sock string, ctldPort, dPort int) string {
	return fmt.Sprintf(`ClusterName=hdf5vaulttest
SlurmctldHost=%[2]s(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[3]s
SlurmctldPort=%[4]d
SlurmdPort=%[5]d
StateSaveLocation=%[1]s/state
SlurmdSpoolDir=%[1]s/spool
SlurmctldPidFile=%[1]s/slurmctld.pid
SlurmdPidFile=%[1]s/slurmd.pid
SlurmctldLogFile=%[1]s/slurmctld.log
SlurmdLogFile=%[1]s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=%[2]s NodeAddr=127.0.0.1 CPUs=%[6]d State=UNKNOWN
PartitionName=main Nodes=%[2]s Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
`, dir, host, sock, ctldPort, dPort, runtime.NumCPU())
}

func sbin(p string) string {
	if q, err := exec.LookPath(p); err == nil {
		return q
	}
	return filepath.Join("/usr/sbin", p)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *slurmCluster) start(name string, args ...string) {
	cmd := exec.Command(sbin(name), args...)
	cmd.Env = c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	log, err := os.Create(filepath.Join(c.dir, name+".out"))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("starting %s: %v", name, err)
	}
	c.procs = append(c.procs, cmd)
}

func (c *slurmCluster) waitFor(what string, ok func() bool) {
	deadline := time.Now().Add(90 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			c.t.Fatalf("waited 90 s for %s\n%s", what, c.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *slurmCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = c.env
	cmd.Dir = filepath.Join(c.dir, "jobs")
	return cmd
}

// sbatch submits script with args and returns sbatch's output and exit status.
func (c *slurmCluster) sbatch(env []string, args ...string) (string, int) {
	c.t.Helper()
	cmd := c.command("sbatch", args...)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("sbatch: %v", err)
	}
	return strings.TrimSpace(out.String()), 0
}

// logs are the daemons' last log lines, for a failure message.
func (c *slurmCluster) logs() string {
	var b strings.Builder
	for _, f := range []string{"slurmctld.log", "slurmd.log", "munge/log", "slurmctld.out", "slurmd.out", "munged.out"} {
		out, _ := os.ReadFile(filepath.Join(c.dir, f))
		fmt.Fprintf(&b, "--- %s\n%s\n", f, lastLines(out, 15))
	}
	return b.String()
}

// stop cancels any job left, stops the daemons (SIGTERM, then SIGKILL of
// their process groups after 15 s) and waits for them.
func (c *slurmCluster) stop() {
	if c.t.Failed() && len(c.procs) > 0 {
		c.t.Log(c.logs())
	}
	if c.env != nil {
		c.command("scancel", "--full", "-u", "root").Run()
	}
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	c.procs = nil
}

// TestSlurmArrayAndSeal runs the README's recipe on a real (one-node)
// Slurm: a job array of four shards and a seal job depending on it; the
// set passes verify, check against the source, and h5py's reading. Then
// a shard that fails: seal refuses naming it; that shard rerun alone
// (sbatch --array=K), seal succeeds.
func TestSlurmArrayAndSeal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a Slurm cluster (about a minute); .ci/run runs it")
	}
	c := startSlurm(t)
	src := genTree(t, 16)
	out := t.TempDir()
	jobs := filepath.Join(c.dir, "jobs")
	shardScript := filepath.Join(jobs, "shard.sh")
	sealScript := filepath.Join(jobs, "seal.sh")
	os.WriteFile(shardScript, []byte(`#!/bin/sh
#SBATCH --cpus-per-task=1
exec "$HV" create "$SRC" "$BASE" -q -j 1 --shard "${SHARD:-slurm}" $EXTRA
`), 0o755)
	os.WriteFile(sealScript, []byte(`#!/bin/sh
#SBATCH --cpus-per-task=1
exec "$HV" seal "$BASE" --quiet
`), 0o755)
	env := func(base string, extra ...string) []string {
		return append([]string{"HV=" + readBin, "SRC=" + src, "BASE=" + base}, extra...)
	}

	base := filepath.Join(out, "p")
	array, code := c.sbatch(env(base), "--parsable", "--array=0-3", "-o", filepath.Join(jobs, "shard-%a.out"), shardScript)
	if code != 0 {
		t.Fatalf("sbatch of the array: %s", array)
	}
	array = strings.SplitN(array, ";", 2)[0]
	if o, code := c.sbatch(env(base), "--wait", "--dependency=afterok:"+array, "-o", filepath.Join(jobs, "seal.out"), sealScript); code != 0 {
		outs, _ := exec.Command("sh", "-c", "tail -n 5 "+filepath.Join(jobs, "*.out")).CombinedOutput()
		t.Fatalf("seal job: exit %d: %s\n%s", code, o, outs)
	}
	verifySet(t, src, members(base, 4), true, archive.DefaultChunkSize)
	if r := runBin(t, "verify", base); r.code != 0 {
		t.Errorf("verify: %s", r.stderr)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Errorf("check: %s%s", r.stdout, r.stderr)
	}

	// A failing shard: a file it cannot read (made readable afterwards at
	// the same size, so the listing stays the same).
	bad, extra := unreadableFile(t, src)
	base = filepath.Join(out, "q")
	e := env(base, "EXTRA="+strings.Join(extra, " "))
	if o, code := c.sbatch(e, "--wait", "--array=0-3", "-o", filepath.Join(jobs, "q-%a.out"), shardScript); code == 0 {
		t.Fatalf("the array with an unreadable file succeeded: %s", o)
	}
	failed := -1
	for k := range 4 {
		b, _ := os.ReadFile(filepath.Join(jobs, fmt.Sprintf("q-%d.out", k)))
		if strings.Contains(string(b), bad) {
			failed = k
		}
	}
	if failed < 0 {
		t.Fatal("no shard's output names the unreadable file")
	}
	sealOut := filepath.Join(jobs, "q-seal.out")
	if _, code := c.sbatch(e, "--wait", "-o", sealOut, sealScript); code == 0 {
		t.Fatal("seal of a set with a failed shard succeeded")
	}
	if b, _ := os.ReadFile(sealOut); !strings.Contains(string(b), fmt.Sprintf("shard %d failed", failed)) {
		t.Errorf("seal's output does not name shard %d: %s", failed, b)
	}
	os.Remove(filepath.Join(src, bad))
	os.WriteFile(filepath.Join(src, bad), nil, 0o644)
	if o, code := c.sbatch(append(e, "SHARD=/4"), "--wait", fmt.Sprintf("--array=%d", failed), "-o", filepath.Join(jobs, "q-rerun.out"), shardScript); code != 0 {
		b, _ := os.ReadFile(filepath.Join(jobs, "q-rerun.out"))
		t.Fatalf("rerun of shard %d: %s %s", failed, o, b)
	}
	if o, code := c.sbatch(e, "--wait", "-o", sealOut, sealScript); code != 0 {
		b, _ := os.ReadFile(sealOut)
		t.Fatalf("seal after the rerun: %s %s", o, b)
	}
	if r := runBin(t, "check", "-d", src, base); r.code != 0 {
		t.Errorf("check: %s%s", r.stdout, r.stderr)
	}
}
