package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/models/webhooks"
)

// A `sesame serve` killed with SIGKILL while it posts a burst of delivered
// events, and restarted, loses none: the receiver gets every event at
// least once (the ones in flight at the kill again, with the same id).
func TestCrashLosesNoWebhookEvent(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("X-Sesame-Event-Id")]++
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // a receiver with some work to do: the burst lasts
	}))
	defer receiver.Close()
	distinct := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	sink := smtpsink.Start(t)
	f := newChildFixture(t, "SESAME_DELIVERY=relay://"+sink.Addr+"?tls=none", "SESAME_QUEUE_LEASE=2s", "SESAME_WEBHOOK_ALLOW=127.0.0.1/32")
	if _, _, err := f.store.Webhooks.CreateEndpoint(context.Background(), webhooks.EndpointInput{URL: receiver.URL, Events: "delivered"}); err != nil {
		t.Fatal(err)
	}
	const total = 3000
	f.enqueue(total)

	child, _ := f.start()
	waitFor(t, 90*time.Second, func() bool { return distinct() >= 300 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	atKill := distinct()
	if atKill >= total {
		t.Fatalf("the kill came too late to test anything: %d events posted", atKill)
	}

	child, _ = f.start()
	waitFor(t, 180*time.Second, func() bool { return f.delivered() == total && distinct() == total })
	child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	mu.Lock()
	again := 0
	for _, n := range seen {
		if n > 1 {
			again++
		}
	}
	mu.Unlock()
	t.Logf("%d events posted before the kill, %d posted again after it", atKill, again)
}
