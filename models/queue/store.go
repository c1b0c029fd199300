// Package queue is the delivery queue: messages (one per recipient) and
// their contents, enqueueing with group commit, claims under a lease,
// delivery results, bounces and complaints that come back, destination
// throttles, the warm-up quotas claims spend, the hourly rollups they all
// count into, and the sandbox mailbox.
package queue

import (
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
)

// Queue is the store of messages and everything that moves them.
type Queue struct {
	*db.DB
	domains      *identity.Domains
	suppressions *audience.Suppressions
	// enqueues gathers concurrent Enqueue calls into shared commits.
	enqueues *db.GroupCommit[*preparedEnqueue]
}

// Sandbox is the store of the sandbox mailbox: the messages the sandbox
// transport kept instead of sending.
type Sandbox struct {
	*db.DB
}

// New builds the stores.
func New(core *db.DB, domains *identity.Domains, suppressions *audience.Suppressions) (*Queue, *Sandbox) {
	q := &Queue{DB: core, domains: domains, suppressions: suppressions}
	q.enqueues = q.newEnqueues()
	return q, &Sandbox{DB: core}
}
