package smtpd

import (
	"net"
	"sync"
)

// connTracker is a listener that keeps count of the connections it handed
// out. go-smtp's Shutdown waits for idle clients indefinitely, and its
// Close does nothing once Shutdown has begun, so hanging up on sessions
// that outstay the grace, and waiting until their handlers are done, is
// done here.
type connTracker struct {
	net.Listener
	mu      sync.Mutex
	open    map[*trackedConn]struct{}
	handled sync.WaitGroup
}

func trackConns(ln net.Listener) *connTracker {
	return &connTracker{Listener: ln, open: map[*trackedConn]struct{}{}}
}

func (t *connTracker) Accept() (net.Conn, error) {
	c, err := t.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, tracker: t}
	t.mu.Lock()
	t.open[tc] = struct{}{}
	t.mu.Unlock()
	t.handled.Add(1)
	return tc, nil
}

// hangUp closes every open connection.
func (t *connTracker) hangUp() {
	t.mu.Lock()
	open := make([]*trackedConn, 0, len(t.open))
	for c := range t.open {
		open = append(open, c)
	}
	t.mu.Unlock()
	for _, c := range open {
		_ = c.Conn.Close() // the handler notices and closes the tracked conn
	}
}

// wait returns when every connection handed out has been closed: go-smtp
// closes a connection when its handler has finished.
func (t *connTracker) wait() { t.handled.Wait() }

type trackedConn struct {
	net.Conn
	tracker *connTracker
	once    sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.tracker.mu.Lock()
		delete(c.tracker.open, c)
		c.tracker.mu.Unlock()
		c.tracker.handled.Done()
	})
	return c.Conn.Close()
}
