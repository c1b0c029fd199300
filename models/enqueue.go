package models

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Addressee is one recipient of a send request with its template variables.
type Addressee struct {
	Email     string
	Variables map[string]string
}

// EnqueueRequest is a send request: one content, many recipients.
type EnqueueRequest struct {
	Sender        *SenderAddress // with its Domain loaded
	Content       MessageContent
	To            []Addressee
	TaskID        *uint64
	RunID         *uint64
	Transactional bool // not counted by warm-up, and sent first
}

// ErrDomainNotVerified is a send from a domain that may not send yet.
var ErrDomainNotVerified = errors.New("the sender's domain is not verified")

// messageColumns and contentColumns are how many values an inserted
// message or content row binds.
const (
	messageColumns = 27
	contentColumns = 16
)

// Enqueue stores a send request durably: its content and one queued message
// per recipient, in one transaction, before anyone is told it was accepted.
// Requests that arrive while another commit is under way are committed
// together, in one transaction, as soon as it ends (a group commit): every
// caller still returns only once its own request is durable, but callers
// that arrive together share one commit and its fsync, instead of each
// waiting for the write lock in turn. The commit serves the whole group,
// so it does not end with the caller's context; it is bounded by its own
// timeout.
func (s *Store) Enqueue(ctx context.Context, req EnqueueRequest) ([]Message, error) {
	rows, err := s.prepareEnqueue(req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(rows.msgs) > maxGroupedRecipients {
		// A big request would hold up the small ones grouped with it, so
		// it commits alone, beside the groups.
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return s.insertEnqueued(tx, []*enqueueRows{rows})
		})
		if err != nil {
			return nil, err
		}
		return rows.msgs, nil
	}
	return s.enqueues.add(ctx, s, rows)
}

// enqueueRows is a checked send request: the rows Enqueue inserts for it.
type enqueueRows struct {
	content MessageContent
	msgs    []Message
	err     error         // the outcome of its commit
	done    chan struct{} // closed when err is set
	lead    chan struct{} // its turn to commit the group
}

func (s *Store) prepareEnqueue(req EnqueueRequest) (*enqueueRows, error) {
	if req.Sender == nil || req.Sender.Domain == nil {
		return nil, errors.New("enqueue: sender with domain required")
	}
	if !req.Sender.Domain.Verified() {
		return nil, ErrDomainNotVerified
	}
	if len(req.To) == 0 {
		return nil, Invalid("to", "Give at least one recipient.")
	}
	verr := &ValidationError{}
	now := s.now()
	msgs := make([]Message, 0, len(req.To))
	for _, to := range req.To {
		email, err := NormalizeEmail(to.Email)
		if err != nil {
			verr.Add("to", to.Email+" "+err.Error()+".")
			continue
		}
		domain := email[strings.LastIndexByte(email, '@')+1:]
		msgs = append(msgs, Message{
			UID: NewMessageUID(), Variables: EncodeVariables(to.Variables), DomainID: req.Sender.DomainID,
			FromEmail: req.Sender.Email, FromName: req.Sender.DisplayName,
			Recipient: email, RecipientDomain: domain, Provider: Provider(domain),
			TaskID: req.TaskID, RunID: req.RunID, Transactional: req.Transactional,
			Status: StatusQueued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		})
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	rows := &enqueueRows{content: req.Content, msgs: msgs, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	rows.content.CreatedAt = now
	return rows, nil
}

// size is roughly what the request's content weighs in a transaction.
func (r *enqueueRows) size() int {
	c := &r.content
	return len(c.Raw) + len(c.HTML) + len(c.Text) + len(c.Attachments)
}

// insertEnqueued inserts a group of requests: their contents in
// multi-row statements, then all their messages.
func (s *Store) insertEnqueued(tx *gorm.DB, group []*enqueueRows) error {
	contents := make([]MessageContent, len(group))
	for i, r := range group {
		contents[i] = r.content
		contents[i].ID = 0 // unset, also when a failed group is retried
	}
	if err := tx.CreateInBatches(&contents, s.rowsPerStatement(contentColumns)).Error; err != nil {
		return err
	}
	n := 0
	for _, r := range group {
		n += len(r.msgs)
	}
	msgs := make([]Message, 0, n)
	stats := statsBatch{}
	for i, r := range group {
		for j := range r.msgs {
			r.msgs[j].ContentID = contents[i].ID
			stats.add(r.content.CreatedAt, &r.msgs[j], statRequested)
		}
		msgs = append(msgs, r.msgs...)
	}
	if err := tx.CreateInBatches(&msgs, s.rowsPerStatement(messageColumns)).Error; err != nil {
		return err
	}
	if err := stats.write(tx); err != nil {
		return err
	}
	for _, r := range group {
		n := copy(r.msgs, msgs) // with their ids
		msgs = msgs[n:]
	}
	return nil
}

// Group commit limits: requests and content bytes in one transaction, and
// the recipients of a request that may join a group.
const (
	maxGroupedRecipients = 100
	maxGroupRequests     = 64
	maxGroupBytes        = 32 << 20
	groupCommitTimeout   = time.Minute
)

// groupCommit is the queue of requests waiting to be committed. One caller
// at a time commits (busy); the others wait, and the first of those left
// waiting when a commit ends commits the next group.
type groupCommit struct {
	mu      sync.Mutex
	waiting []*enqueueRows
	busy    bool
}

func (g *groupCommit) add(ctx context.Context, s *Store, r *enqueueRows) ([]Message, error) {
	g.mu.Lock()
	g.waiting = append(g.waiting, r)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		g.commit(ctx, s)
	}
	for {
		select {
		case <-r.done:
			if r.err != nil {
				return nil, r.err
			}
			return r.msgs, nil
		case <-r.lead:
			g.commit(ctx, s)
		}
	}
}

// commit writes the next group, then passes the turn on.
func (g *groupCommit) commit(ctx context.Context, s *Store) {
	g.mu.Lock()
	n, size := 0, 0
	for n < len(g.waiting) && n < maxGroupRequests && (n == 0 || size+g.waiting[n].size() <= maxGroupBytes) {
		size += g.waiting[n].size()
		n++
	}
	group := append([]*enqueueRows(nil), g.waiting[:n]...)
	g.waiting = append(g.waiting[:0], g.waiting[n:]...)
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupCommitTimeout)
	defer cancel()
	insert := func(group []*enqueueRows) error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return s.insertEnqueued(tx, group) })
	}
	if err := insert(group); err == nil || len(group) == 1 {
		for _, r := range group {
			r.err = err
		}
	} else {
		// One request may be at fault (its domain deleted meanwhile):
		// commit each alone, so only that one fails.
		for _, r := range group {
			r.err = insert([]*enqueueRows{r})
		}
	}
	for _, r := range group {
		close(r.done)
	}

	g.mu.Lock()
	if len(g.waiting) == 0 {
		g.busy = false
	} else {
		g.waiting[0].lead <- struct{}{}
	}
	g.mu.Unlock()
}
