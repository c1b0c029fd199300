// Package gcpolicy sets how hard the garbage collector works in a
// long-running sesame serve. Go's default collects whenever the heap has
// doubled; the delivery engine allocates a message's worth of memory for
// each message while its live heap stays small, so collections came often
// and cost about a quarter of its CPU time (20,000 messages without DKIM:
// 0.33 -> 0.25 CPU-s per 1k messages at GOGC=400, peak RSS 55 -> 85 MB).
package gcpolicy

import (
	"os"
	"runtime/debug"
)

const (
	// Percent lets the heap grow to five times what is live between
	// collections.
	Percent = 400
	// MemoryLimit bounds that growth: nearer this, the collector runs as
	// often as it must to stay under it. It keeps a million-row import
	// under 150 MB of RSS (117 MB measured; 275 MB with a 512 MiB limit),
	// while delivery, whose live heap is small, keeps its savings.
	MemoryLimit = 100 << 20
)

// Apply sets Percent and MemoryLimit for this process, except where the
// operator chose otherwise with GOGC or GOMEMLIMIT. It returns a function
// that puts back what was set before.
func Apply() (restore func()) {
	var undo []func()
	if os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(Percent)
		undo = append(undo, func() { debug.SetGCPercent(old) })
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		old := debug.SetMemoryLimit(MemoryLimit)
		undo = append(undo, func() { debug.SetMemoryLimit(old) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}
