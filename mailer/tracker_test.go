package mailer_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
)

// gatedStore is the real engagement store behind a gate: its writes wait
// while the gate is shut, and the first one fails, as a database that is
// slow and then briefly away would.
type gatedStore struct {
	real   mailer.EngagementStore
	gate   sync.RWMutex
	failed atomic.Bool
	calls  atomic.Int64
}

func (g *gatedStore) RecordEngagement(ctx context.Context, events []tracking.Engagement) error {
	g.calls.Add(1)
	g.gate.RLock()
	defer g.gate.RUnlock()
	if !g.failed.Swap(true) {
		return errors.New("connection refused")
	}
	return g.real.RecordEngagement(ctx, events)
}

// TestTrackerNeverDropsAnAnsweredOpen fills the buffer while the database
// does not answer: the next Record waits instead of dropping the open, a
// write the database refused is kept and written again, and every open
// recorded is stored in the end.
func TestTrackerNeverDropsAnAnsweredOpen(t *testing.T) {
	st, _ := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@track.test", "News")
	msgs, err := st.Queue.Enqueue(ctx, queue.EnqueueRequest{Sender: sender, Transactional: true,
		Content: queue.MessageContent{Subject: "Hi", HTML: "<p>Hi</p>", TrackOpens: true}, To: []queue.Addressee{{Email: "ann@dest.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	store := &gatedStore{real: st.Tracking}
	store.gate.Lock() // the database hangs
	tracker := mailer.NewTracker(store, slog.New(slog.DiscardHandler), 20*time.Millisecond)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- tracker.Run(runCtx) }()

	const buffer = 200_000 // mailer's trackerBuffer
	open := tracking.Engagement{UID: msgs[0].UID, Kind: tracking.EngagementOpen, At: st.DB.Now(), UserAgent: "Mozilla/5.0 Firefox/128.0"}
	// The first flush takes some events and hangs on the gate; fill the
	// buffer behind it.
	recorded := 0
	for ; store.calls.Load() == 0; recorded++ {
		tracker.Record(open)
		time.Sleep(time.Millisecond)
	}
	for range buffer {
		tracker.Record(open)
		recorded++
	}
	blocked := make(chan struct{})
	go func() {
		tracker.Record(open) // over the buffer: waits for room
		close(blocked)
	}()
	select {
	case <-blocked:
		t.Fatal("Record returned with the buffer full: the open would have been dropped")
	case <-time.After(200 * time.Millisecond):
	}
	store.gate.Unlock()
	<-blocked
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Every Record call is stored: those before the buffer filled, the
	// buffer's worth, and the one that waited.
	first, err := st.Queue.CountMessageEvents(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if calls := store.calls.Load(); calls < 3 {
		t.Fatalf("%d writes: want the failed one, its retry and more", calls)
	}
	if first != int64(recorded)+1 {
		t.Fatalf("%d opens stored, %d recorded", first, recorded+1)
	}
	// After Run has stopped, a late open is written through.
	tracker.Record(open)
	after, _ := st.Queue.CountMessageEvents(ctx, msgs[0].ID)
	if after != first+1 {
		t.Fatalf("an open after shutdown: %d stored, want %d", after, first+1)
	}
}
