package mailer

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sesame-email/sesame/models"
)

// EngagementStore persists opens and clicks.
type EngagementStore interface {
	RecordEngagement(ctx context.Context, events []models.Engagement) error
}

// Tracker buffers opens and clicks in memory and writes them in batches,
// once a second, so a tracking request costs no database round trip. The
// price: at most one second of opens and clicks is lost if the process
// crashes. Delivery, bounces and unsubscribes never go through here.
type Tracker struct {
	store   EngagementStore
	log     *slog.Logger
	events  chan models.Engagement
	every   time.Duration
	dropped atomic.Int64
}

// trackerBuffer holds several seconds of events at the rate the pixel is
// benchmarked for.
const trackerBuffer = 200_000

// NewTracker builds a tracker flushing every flushEvery (one second when
// zero).
func NewTracker(store EngagementStore, log *slog.Logger, flushEvery time.Duration) *Tracker {
	if flushEvery <= 0 {
		flushEvery = time.Second
	}
	return &Tracker{store: store, log: log.With("component", "tracking"), events: make(chan models.Engagement, trackerBuffer), every: flushEvery}
}

// Record queues an event. When the buffer is full (the database cannot keep
// up) the event is counted as dropped rather than making the recipient's
// mail client wait.
func (t *Tracker) Record(e models.Engagement) {
	select {
	case t.events <- e:
	default:
		t.dropped.Add(1)
	}
}

// Run writes buffered events until ctx ends, then writes what is left.
func (t *Tracker) Run(ctx context.Context) error {
	ticker := time.NewTicker(t.every)
	defer ticker.Stop()
	const maxBatch = 20_000
	batch := make([]models.Engagement, 0, 4096)
	take := func() {
		for len(batch) < maxBatch {
			select {
			case e := <-t.events:
				batch = append(batch, e)
			default:
				return
			}
		}
	}
	flush := func() {
		take()
		if len(batch) == 0 {
			return
		}
		if err := t.store.RecordEngagement(context.WithoutCancel(ctx), batch); err != nil {
			t.log.Error("record opens and clicks", "err", err, "events", len(batch))
		}
		batch = batch[:0]
		if n := t.dropped.Swap(0); n > 0 {
			t.log.Warn("tracking events dropped: the buffer was full", "events", n)
		}
	}
	for {
		select {
		case <-ctx.Done():
			for len(t.events) > 0 {
				flush()
			}
			return nil
		case <-ticker.C:
			for len(t.events) > 0 {
				flush()
			}
		}
	}
}
