// Package tasks is bulk sending over time: batch, scheduled and recurring
// tasks, their runs, which queue a group's messages in batches, pre-flight
// checks, and the task life cycle (pause, resume, cancel, resend).
package tasks

import (
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
)

// Tasks is the store of tasks and their runs.
type Tasks struct {
	*db.DB
	domains   *identity.Domains
	senders   *identity.Senders
	templates *content.Templates
	audience  *audience.Audience
	queue     *queue.Queue
	sending   *sending.Service // the sending rules tasks are held to
}

// New builds the store.
func New(core *db.DB, domains *identity.Domains, senders *identity.Senders, templates *content.Templates, audience *audience.Audience,
	queue *queue.Queue, sending *sending.Service) *Tasks {
	return &Tasks{DB: core, domains: domains, senders: senders, templates: templates, audience: audience, queue: queue, sending: sending}
}
