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
// price: at most one second of opens and clicks is lost if the process
// crashes. Delivery, bounces and unsubscribes never go through here.
type Tracker struct {
	store EngagementStore
	log   *slog.Logger
	every time.Duration

	// A slice under a mutex rather than a channel: an append is all a
	// request pays, and a flush takes the whole slice at once and hands
	// back the one it wrote, so in the steady state nothing is allocated.
	mu      sync.Mutex
	pending []tracking.Engagement
	dropped int
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
	return &Tracker{store: store, log: log.With("component", "tracking"), every: flushEvery}
}

// Record queues an event. When the buffer is full (the database cannot keep
// up) the event is counted as dropped rather than making the recipient's
// mail client wait.
func (t *Tracker) Record(e tracking.Engagement) {
	t.mu.Lock()
	if len(t.pending) < trackerBuffer {
		t.pending = append(t.pending, e)
	} else {
		t.dropped++
	}
	t.mu.Unlock()
}

// take returns the pending events and how many were dropped since the last
// take, leaving spare (emptied) to collect the next ones.
func (t *Tracker) take(spare []tracking.Engagement) ([]tracking.Engagement, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	batch, dropped := t.pending, t.dropped
	t.pending, t.dropped = spare[:0], 0
	return batch, dropped
}

// Run writes buffered events until ctx ends, then writes what is left.
func (t *Tracker) Run(ctx context.Context) error {
	ticker := time.NewTicker(t.every)
	defer ticker.Stop()
	var spare []tracking.Engagement
	flush := func() {
		batch, dropped := t.take(spare)
		for start := 0; start < len(batch); start += flushBatch {
			part := batch[start:min(start+flushBatch, len(batch))]
			if err := t.store.RecordEngagement(context.WithoutCancel(ctx), part); err != nil {
				t.log.Error("record opens and clicks", "err", err, "events", len(part))
			}
		}
		if dropped > 0 {
			t.log.Warn("tracking events dropped: the buffer was full", "events", dropped)
		}
		clear(batch) // let the written events' strings go
		spare = batch
	}
	for {
		select {
		case <-ctx.Done():
			flush()
			return nil
		case <-ticker.C:
			flush()
		}
	}
}
