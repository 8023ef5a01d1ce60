package h5sink

import "syscall"

// probeAttrs has the kernel kill the probe child when its parent dies (a
// parent killed with SIGKILL cannot end it): a child that libhdf5 keeps
// busy on damaged metadata must not outlive the command.
func probeAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
