// Package retention removes what is past its keeping time: per-message
// rows (messages, their events and reports, their content once no message
// uses it) after SESAME_RETENTION, the sandbox mailbox after
// SESAME_SANDBOX_RETENTION, and the webhook delivery log with the
// messages. Daily statistics, the suppression list, tasks, templates and
// groups are kept forever. A message that is not final yet is never
// removed, whatever its age.
package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/webhooks"
	"gorm.io/gorm"
)

// Batch is how many messages one transaction removes: small, so that on
// SQLite, whose one writer is shared with delivery, no claim or insert
// waits long for it (about 25 ms a batch).
const Batch = 250

// Pruner removes expired rows.
type Pruner struct {
	*db.DB
	webhooks *webhooks.Store
	// Pause is the time left between batches for other writers.
	Pause time.Duration
}

// New builds a pruner.
func New(core *db.DB, hooks *webhooks.Store) *Pruner {
	return &Pruner{DB: core, webhooks: hooks, Pause: 10 * time.Millisecond}
}

// Report is what one prune removed.
type Report struct {
	Before            time.Time // messages created before this were removed
	SandboxBefore     time.Time
	Messages, Events  int64
	Contents, Sandbox int64
	WebhookDeliveries int64
	Kept              int64 // messages past the cutoff that are not final yet
}

func (r Report) String() string {
	return fmt.Sprintf("removed %d messages created before %s (%d events, %d contents), %d webhook deliveries, %d sandbox messages received before %s; kept %d older messages that are not final yet",
		r.Messages, r.Before.Format(time.DateTime), r.Events, r.Contents, r.WebhookDeliveries, r.Sandbox, r.SandboxBefore.Format(time.DateTime), r.Kept)
}

// Prune removes the messages created before before, the sandbox messages
// received before sandboxBefore, and the webhook deliveries made before
// before that are not being retried.
func (p *Pruner) Prune(ctx context.Context, before, sandboxBefore time.Time) (Report, error) {
	r := Report{Before: before.UTC(), SandboxBefore: sandboxBefore.UTC()}
	for {
		t0 := time.Now()
		n, err := p.pruneBatch(ctx, &r)
		if err != nil {
			return r, err
		}
		if n < Batch {
			break
		}
		if err := p.pause(ctx, time.Since(t0)); err != nil {
			return r, err
		}
	}
	var err error
	if r.WebhookDeliveries, err = p.webhooks.PruneDeliveries(ctx, r.Before, Batch); err != nil {
		return r, err
	}
	for {
		res := p.Gorm.WithContext(ctx).Exec("DELETE FROM sandbox_messages WHERE id IN (SELECT id FROM sandbox_messages WHERE received_at < ? ORDER BY id LIMIT ?)", r.SandboxBefore, Batch)
		if res.Error != nil {
			return r, res.Error
		}
		r.Sandbox += res.RowsAffected
		if res.RowsAffected < Batch {
			break
		}
		if err := p.pause(ctx, 0); err != nil {
			return r, err
		}
	}
	err = p.Gorm.WithContext(ctx).Table("messages").Where("created_at < ? AND status NOT IN ?", r.Before, models.FinalStatuses()).Count(&r.Kept).Error
	return r, err
}

// pause leaves the database to other writers after a batch that lasted
// took. On SQLite, a writer that found the lock taken polls for it with
// growing sleeps (up to 100 ms): a pause twice as long as the batch lets
// the one that waited through it in, so that no claim waits for more than
// about one batch.
func (p *Pruner) pause(ctx context.Context, took time.Duration) error {
	d := p.Pause
	if p.Dialect() == db.SQLite {
		d = max(d, 2*took)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// pruned is a message being removed.
type pruned struct {
	ID        uint64
	ContentID uint64
	RunID     *uint64
	CreatedAt time.Time
}

// pruneBatch removes up to Batch final messages created before r.Before,
// with their events, reports and the contents no other message uses, in
// one transaction, and returns how many messages.
func (p *Pruner) pruneBatch(ctx context.Context, r *Report) (int, error) {
	var batch []pruned
	err := p.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Table("messages").Select("id, content_id, run_id, created_at").
			Where("created_at < ? AND status IN ?", r.Before, models.FinalStatuses()).Order("created_at").Limit(Batch).
			Scan(&batch).Error; err != nil || len(batch) == 0 {
			return err
		}
		ids := make([]uint64, len(batch))
		for i, m := range batch {
			ids[i] = m.ID
		}
		in, list := p.IDsIn("message_id", ids)
		res := tx.Exec("DELETE FROM message_events WHERE "+in, list)
		if res.Error != nil {
			return res.Error
		}
		r.Events += res.RowsAffected
		if err := tx.Exec("DELETE FROM message_reports WHERE "+in, list).Error; err != nil {
			return err
		}
		if err := tx.Exec("UPDATE sandbox_messages SET message_id = NULL WHERE "+in, list).Error; err != nil {
			return err
		}
		in, list = p.IDsIn("id", ids)
		if err := tx.Exec("DELETE FROM messages WHERE "+in, list).Error; err != nil {
			return err
		}
		r.Messages += int64(len(batch))
		return p.pruneContents(tx, batch, r)
	})
	return len(batch), err
}

// pruneContents removes the contents of a request's messages once none is
// left. A request's messages share their content and the time they were
// queued, which finds the others by the index on created_at; a task run's
// content stays with the run, kept forever with its task.
func (p *Pruner) pruneContents(tx *gorm.DB, batch []pruned, r *Report) error {
	type key struct {
		content uint64
		at      time.Time
	}
	seen := map[key]bool{}
	for _, m := range batch {
		k := key{m.ContentID, m.CreatedAt}
		if m.RunID != nil || seen[k] {
			continue
		}
		seen[k] = true
		res := tx.Exec("DELETE FROM message_contents WHERE id = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE created_at = ? AND content_id = ?)"+
			" AND NOT EXISTS (SELECT 1 FROM task_runs WHERE content_id = ?)", m.ContentID, m.CreatedAt, m.ContentID, m.ContentID)
		if res.Error != nil {
			return res.Error
		}
		r.Contents += res.RowsAffected
	}
	return nil
}

// OldestDay is the creation time of the oldest message kept, if any.
func (p *Pruner) OldestDay(ctx context.Context) (*time.Time, error) {
	var m struct{ CreatedAt time.Time }
	err := p.Gorm.WithContext(ctx).Table("messages").Select("created_at").Order("created_at").Limit(1).Scan(&m).Error
	if err != nil || m.CreatedAt.IsZero() {
		return nil, err
	}
	return &m.CreatedAt, nil
}

// StartOfDay is midnight, in the database's time zone, of the day t falls on.
func (p *Pruner) StartOfDay(t time.Time) time.Time {
	d := t.In(p.Location())
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, p.Location())
}
