//go:build !linux

package sweep

import "syscall"

// childAttr: only Linux can tie a child's life to its parent's (Pdeathsig);
// elsewhere a killed sweep's runs finish on their own.
func childAttr() *syscall.SysProcAttr { return nil }
