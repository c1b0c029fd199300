package gcpolicy

import (
	"runtime/debug"
	"testing"
)

// current reads the GC percent and memory limit without changing them.
func current() (int, int64) {
	percent := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1) // a negative limit only reads it
}

func TestApplySetsAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	percent, limit := current()
	restore := Apply()
	if p, l := current(); p != Percent || l != MemoryLimit {
		t.Errorf("applied: GOGC %d, limit %d", p, l)
	}
	restore()
	if p, l := current(); p != percent || l != limit {
		t.Errorf("restored: GOGC %d, limit %d; want %d, %d", p, l, percent, limit)
	}
}

// What the operator set in the environment stays.
func TestApplyLeavesTheOperatorsChoice(t *testing.T) {
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	percent, limit := current()
	defer Apply()()
	if p, l := current(); p != percent || l != limit {
		t.Errorf("changed to GOGC %d, limit %d", p, l)
	}
}
