package sweep

import "syscall"

// childAttr makes a run die with the sweep that started it (a SIGKILLed
// sweep leaves no orphan training on; resuming the sweep continues the run
// from its checkpoint).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
