// Package queue is the delivery queue: messages (one per recipient) and
// their contents, enqueueing with group commit, claims under a lease,
// delivery results, bounces and complaints that come back, destination
// throttles, and the warm-up quotas claims spend.
package queue

import (
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
)

// Queue is the store of messages and everything that moves them.
type Queue struct {
	*db.DB
	identities *identity.Identities
	audience   *audience.Audience // suppressions
	// enqueues gathers concurrent Enqueue calls into shared commits.
	enqueues groupCommit
}

// New builds the store.
func New(core *db.DB, identities *identity.Identities, audience *audience.Audience) *Queue {
	return &Queue{DB: core, identities: identities, audience: audience}
}
