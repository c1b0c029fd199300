package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
)

// SIGTERM during a database outage ends `sesame serve` within
// SESAME_SHUTDOWN_TIMEOUT, although results it cannot record are pending;
// restarted once the database is back, it delivers every accepted message
// (those whose outcome was not recorded again, with the same Message-ID).
func TestShutdownDuringADatabaseOutage(t *testing.T) {
	const timeout = 3 * time.Second
	sink := smtpsink.Start(t)
	f := newChildFixture(t, "SESAME_DELIVERY=relay://"+sink.Addr+"?tls=none", "SESAME_QUEUE_LEASE=2s",
		"SESAME_SHUTDOWN_TIMEOUT="+timeout.String())
	const total = 3000
	f.enqueue(total)

	child, logs := f.start()
	waitFor(t, 60*time.Second, func() bool { return sink.Accepted() >= 300 })
	restore := testdb.CutOff(t, f.db)
	// The outage reaches the engine: a batch of results cannot be written.
	waitFor(t, 60*time.Second, func() bool { return strings.Contains(logs.String(), "record delivery results") })
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	select {
	case <-exited:
		t.Logf("exited %v after SIGTERM, with SESAME_SHUTDOWN_TIMEOUT=%v", time.Since(stopped).Round(time.Millisecond), timeout)
	case <-time.After(timeout + 30*time.Second): // a hang check, not a measurement
		t.Fatalf("still running %v after SIGTERM during the outage", time.Since(stopped).Round(time.Second))
	}
	restore()
	if n := f.delivered(); n >= total {
		t.Fatalf("the outage came too late to test anything: %d recorded delivered", n)
	}
	t.Logf("at the stop the sink had accepted %d, %d were recorded delivered; restarting", sink.Accepted(), f.delivered())

	child, _ = f.start()
	waitFor(t, 120*time.Second, func() bool { return f.delivered() == total })
	child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	if n := sink.Accepted(); n < total {
		t.Errorf("the sink accepted %d of %d", n, total)
	}
}
