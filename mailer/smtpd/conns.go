package smtpd

import (
	"net"
	"sync"
)

// connTracker keeps count of the connections its listeners handed out.
// go-smtp's Shutdown waits for idle clients indefinitely, and its Close
// does nothing once Shutdown has begun, so hanging up on sessions that
// outstay the grace, and waiting until their handlers are done, is done
// here.
type connTracker struct {
	mu      sync.Mutex
	open    map[*trackedConn]struct{}
	handled sync.WaitGroup
}

func newConnTracker() *connTracker {
	return &connTracker{open: map[*trackedConn]struct{}{}}
}

// track wraps ln so the connections it accepts are tracked. Under TLS the
// tracked connection is the one beneath, so hanging up closes the socket.
func (t *connTracker) track(ln net.Listener) net.Listener {
	return &trackingListener{Listener: ln, tracker: t}
}

type trackingListener struct {
	net.Listener
	tracker *connTracker
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	t := l.tracker
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
