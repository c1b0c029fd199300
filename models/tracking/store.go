// Package tracking is what happened after sending: opens, clicks and
// unsubscribes, the hourly rollups, the dashboard's and task reports'
// queries over them, and reputation rates.
package tracking

import (
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tasks"
)

// Tracking is the store of engagement and statistics.
type Tracking struct {
	*db.DB
	queue *queue.Queue
	tasks *tasks.Tasks
}

// New builds the store.
func New(core *db.DB, queue *queue.Queue, tasks *tasks.Tasks) *Tracking {
	return &Tracking{DB: core, queue: queue, tasks: tasks}
}
