//go:build !linux

package h5sink

import "syscall"

// probeAttrs: no parent-death signal outside Linux.
func probeAttrs() *syscall.SysProcAttr { return nil }
