package db

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
)

// GroupCommit writes concurrent callers' items in shared transactions (a
// group commit): an item that arrives while another commit is under way
// waits, and the first of those left waiting when it ends commits them all
// together. Every caller still returns only once its own item is durable,
// but callers that arrive together share one commit and its fsync instead
// of each waiting for the write lock in turn.
//
// When a group fails, each of its items is committed again alone, so one
// item at fault fails only its own caller. An outcome that concerns one
// item and must not roll the others back (a replayed signature) is for
// Write to record in the item itself.
type GroupCommit[T any] struct {
	Gorm *gorm.DB
	// Write writes a group inside tx; an error rolls the group back.
	Write func(tx *gorm.DB, group []T) error
	// MaxItems bounds a group; Weight and MaxWeight, when set, bound the
	// sum of its items' weights (a first item always goes alone when over).
	MaxItems  int
	Weight    func(T) int
	MaxWeight int

	mu      sync.Mutex
	waiting []*pendingItem[T]
	busy    bool
}

// Guard is a check or write that must share the transaction of the rows
// it guards: an API request's signature use (accounts.SignatureGuard)
// commits with the mail the request queues, or not at all. A Refusal it
// returns refuses its own request alone: the guard has then written
// nothing, and the others in the transaction go on. Any other error rolls
// the transaction back.
type Guard func(tx *gorm.DB) error

// Refusal is a Guard's refusal of its request, for the reason Err.
type Refusal struct{ Err error }

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// groupCommitTimeout bounds one group's transaction. The commit serves the
// whole group, so it does not end with its leader's context.
const groupCommitTimeout = time.Minute

type pendingItem[T any] struct {
	item T
	err  error         // the outcome of its commit
	done chan struct{} // closed when err is set
	lead chan struct{} // its turn to commit the next group
}

// Do commits item, with whatever else is waiting, and returns once it is
// durable or has failed.
func (g *GroupCommit[T]) Do(ctx context.Context, item T) error {
	return g.DoTogether(ctx, []T{item})[0]
}

// DoTogether queues items side by side, so that they share a group as far
// as its bounds allow, and returns each one's outcome.
func (g *GroupCommit[T]) DoTogether(ctx context.Context, items []T) []error {
	ps := make([]*pendingItem[T], len(items))
	g.mu.Lock()
	for i, it := range items {
		ps[i] = &pendingItem[T]{item: it, done: make(chan struct{}), lead: make(chan struct{}, 1)}
		g.waiting = append(g.waiting, ps[i])
	}
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		g.commit(ctx)
	}
	errs := make([]error, len(items))
	for i, p := range ps {
		errs[i] = g.wait(ctx, p)
	}
	return errs
}

// wait returns p's outcome, committing the groups whose turn comes to p
// meanwhile.
func (g *GroupCommit[T]) wait(ctx context.Context, p *pendingItem[T]) error {
	for {
		select {
		case <-p.done:
			return p.err
		case <-p.lead:
			g.commit(ctx)
		}
	}
}

// commit writes the next group, then passes the turn on.
func (g *GroupCommit[T]) commit(ctx context.Context) {
	g.mu.Lock()
	n, weight := 0, 0
	for n < len(g.waiting) && (g.MaxItems == 0 || n < g.MaxItems) {
		if g.Weight != nil && g.MaxWeight > 0 {
			w := g.Weight(g.waiting[n].item)
			if n > 0 && weight+w > g.MaxWeight {
				break
			}
			weight += w
		}
		n++
	}
	group := append([]*pendingItem[T](nil), g.waiting[:n]...)
	g.waiting = append(g.waiting[:0], g.waiting[n:]...)
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupCommitTimeout)
	defer cancel()
	write := func(ps []*pendingItem[T]) error {
		items := make([]T, len(ps))
		for i, p := range ps {
			items[i] = p.item
		}
		return g.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return g.Write(tx, items) })
	}
	if err := write(group); err == nil || len(group) == 1 {
		for _, p := range group {
			p.err = err
		}
	} else {
		for _, p := range group {
			p.err = write([]*pendingItem[T]{p})
		}
	}
	for _, p := range group {
		close(p.done)
	}

	g.mu.Lock()
	if len(g.waiting) == 0 {
		g.busy = false
	} else {
		g.waiting[0].lead <- struct{}{}
	}
	g.mu.Unlock()
}
