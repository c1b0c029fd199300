package mailer

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sesame-email/sesame/models/tracking"
)

// EngagementStore persists opens and clicks.
type EngagementStore interface {
	RecordEngagement(ctx context.Context, events []tracking.Engagement) error
}

// Tracker buffers opens and clicks in memory and writes them in batches,
// once a second, so a tracking request costs no database round trip. The
// price: the opens and clicks of the last second are lost if the process
// crashes. Delivery, bounces and unsubscribes never go through here.
//
// An answered request is never dropped: when the buffer is full (the
// database cannot keep up), Record waits until a write makes room, and a
// batch the database refused is kept and written again.
type Tracker struct {
	store EngagementStore
	log   *slog.Logger
	every time.Duration

	// A slice under a mutex rather than a channel: an append is all a
	// request pays, and a flush takes the whole slice at once and hands
	// back the one it wrote, so in the steady state nothing is allocated.
	mu      sync.Mutex
	room    *sync.Cond // broadcast when a flush takes the pending events
	pending []tracking.Engagement
	stopped bool // Run has returned: Record writes through
	// full wakes Run before its tick when the buffer fills.
	full chan struct{}
}

// trackerBuffer holds several seconds of events at the rate the pixel is
// benchmarked for.
const trackerBuffer = 200_000

// flushBatch caps one RecordEngagement (one transaction): a backlog is
// written in parts so other writers get the database in between.
const flushBatch = 20_000

// NewTracker builds a tracker flushing every flushEvery (one second when
// zero).
func NewTracker(store EngagementStore, log *slog.Logger, flushEvery time.Duration) *Tracker {
	if flushEvery <= 0 {
		flushEvery = time.Second
	}
	t := &Tracker{store: store, log: log.With("component", "tracking"), every: flushEvery, full: make(chan struct{}, 1)}
	t.room = sync.NewCond(&t.mu)
	return t
}

// Record queues an event. While the buffer is full it waits for the next
// write to make room: the mail client waits a little rather than the open
// being lost. Once Run has stopped, the event is written at once.
func (t *Tracker) Record(e tracking.Engagement) {
	t.mu.Lock()
	for len(t.pending) >= trackerBuffer && !t.stopped {
		select {
		case t.full <- struct{}{}:
		default:
		}
		t.room.Wait()
	}
	if t.stopped {
		t.mu.Unlock()
		if err := t.store.RecordEngagement(context.Background(), []tracking.Engagement{e}); err != nil {
			t.log.Error("record an open or click after shutdown", "err", err)
		}
		return
	}
	t.pending = append(t.pending, e)
	t.mu.Unlock()
}

// take returns the pending events, leaving spare (emptied) to collect the
// next ones, and wakes the requests waiting for room.
func (t *Tracker) take(spare []tracking.Engagement) []tracking.Engagement {
	t.mu.Lock()
	defer t.mu.Unlock()
	batch := t.pending
	t.pending = spare[:0]
	t.room.Broadcast()
	return batch
}

// putBack returns events the database refused to the front of the buffer,
// to be written again with the next flush.
func (t *Tracker) putBack(events []tracking.Engagement) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(append(make([]tracking.Engagement, 0, len(events)+len(t.pending)), events...), t.pending...)
}

// Run writes buffered events until ctx ends, then writes what is left and
// lets later events write through.
func (t *Tracker) Run(ctx context.Context) error {
	ticker := time.NewTicker(t.every)
	defer ticker.Stop()
	var spare []tracking.Engagement
	// flush writes what is pending and reports whether all of it was
	// written.
	flush := func() bool {
		batch := t.take(spare)
		for start := 0; start < len(batch); start += flushBatch {
			part := batch[start:min(start+flushBatch, len(batch))]
			if err := t.store.RecordEngagement(context.WithoutCancel(ctx), part); err != nil {
				t.log.Error("record opens and clicks: kept to be written again", "err", err, "events", len(batch)-start)
				t.putBack(batch[start:])
				spare = nil // the buffer now holds batch's events
				return false
			}
		}
		clear(batch) // let the written events' strings go
		spare = batch
		return true
	}
	for {
		select {
		case <-ctx.Done():
			// Until the database takes the rest, or the process is killed.
			for !flush() {
				time.Sleep(t.every)
			}
			t.mu.Lock()
			t.stopped = true
			t.room.Broadcast()
			rest := t.pending
			t.pending = nil
			t.mu.Unlock()
			if len(rest) > 0 { // recorded between the last flush and stopped
				if err := t.store.RecordEngagement(context.WithoutCancel(ctx), rest); err != nil {
					t.log.Error("record opens and clicks", "err", err, "events", len(rest))
				}
			}
			return nil
		case <-ticker.C:
			flush()
		case <-t.full:
			flush()
		}
	}
}
