// Package syncbuf is a bytes.Buffer safe for one writer and concurrent
// readers: a test reads what a server or child process logs while it runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects writes; String may be called while they go on.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
