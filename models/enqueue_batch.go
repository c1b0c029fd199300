package models

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Enqueuer commits concurrent send requests together: each caller still
// returns only once its messages are durably stored, but requests that
// arrive while a transaction commits share the next one. On SQLite, where
// every commit waits for the disk, this is what lets an API take thousands
// of sends a second.
type Enqueuer struct {
	store *Store
	// maxMessages caps the messages of one transaction.
	maxMessages int

	mu      sync.Mutex
	pending []*pendingEnqueue
	writing bool
}

type pendingEnqueue struct {
	prepared *preparedEnqueue
	err      error
	done     chan struct{}
}

// NewEnqueuer makes a group-committing Enqueue for s.
func (s *Store) NewEnqueuer() *Enqueuer { return &Enqueuer{store: s, maxMessages: 2000} }

// Enqueue is Store.Enqueue, sharing its transaction with requests made at
// the same moment. A request that fails its checks fails alone; a failed
// commit fails every request of the transaction.
func (e *Enqueuer) Enqueue(ctx context.Context, req EnqueueRequest) ([]Message, error) {
	p, err := e.store.prepareEnqueue(req, e.store.now())
	if err != nil {
		return nil, err
	}
	call := &pendingEnqueue{prepared: p, done: make(chan struct{})}
	e.mu.Lock()
	e.pending = append(e.pending, call)
	lead := !e.writing
	e.writing = true
	e.mu.Unlock()
	if lead {
		// The caller that finds nobody writing writes the first batch (its
		// own request is in it); a goroutine takes over any that follow, so
		// no caller waits for other callers' batches.
		wctx := context.WithoutCancel(ctx)
		if e.writeNext(wctx) {
			go func() {
				for e.writeNext(wctx) {
				}
			}()
		}
	}
	<-call.done
	if call.err != nil {
		return nil, call.err
	}
	return p.msgs, nil
}

// writeNext writes one batch of pending requests and reports whether more
// are waiting; when none are, writing ends.
func (e *Enqueuer) writeNext(ctx context.Context) bool {
	e.mu.Lock()
	n, msgs := 0, 0
	for n < len(e.pending) && (n == 0 || msgs+len(e.pending[n].prepared.msgs) <= e.maxMessages) {
		msgs += len(e.pending[n].prepared.msgs)
		n++
	}
	batch := make([]*pendingEnqueue, n)
	copy(batch, e.pending)
	e.pending = append(e.pending[:0], e.pending[n:]...)
	e.mu.Unlock()

	if len(batch) > 0 {
		prepared := make([]*preparedEnqueue, len(batch))
		for i, c := range batch {
			prepared[i] = c.prepared
		}
		t0 := time.Now()
		err := e.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return e.store.writeEnqueued(tx, prepared)
		})
		if debugEnq {
			println("batch", len(batch), time.Since(t0).String())
		}
		for _, c := range batch {
			c.err = err
			close(c.done)
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.pending) == 0 {
		e.writing = false
		return false
	}
	return true
}

var debugEnq = false
