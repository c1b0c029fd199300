// Package retention removes what is past its keeping time: per-message
// rows (messages, their events and reports, their content once no message
// uses it) after SESAME_RETENTION, on PostgreSQL by dropping whole days'
// partitions (models/db/partitions.go) and otherwise in small batches, the sandbox mailbox after
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
	Partitions        int   // day partitions dropped whole (PostgreSQL)
	Estimated         bool  // the dropped partitions' rows are counted from the statistics
}

func (r Report) String() string {
	about := ""
	if r.Estimated {
		about = "about "
	}
	return fmt.Sprintf("removed "+about+"%d messages created before %s (%d events, %d contents; %d day partitions dropped whole), %d webhook deliveries, %d sandbox messages received before %s; kept %d older messages that are not final yet",
		r.Messages, r.Before.Format(time.DateTime), r.Events, r.Contents, r.Partitions, r.WebhookDeliveries, r.Sandbox, r.SandboxBefore.Format(time.DateTime), r.Kept)
}

// Prune removes the messages created before before, the sandbox messages
// received before sandboxBefore, and the webhook deliveries made before
// before that are not being retried.
func (p *Pruner) Prune(ctx context.Context, before, sandboxBefore time.Time) (Report, error) {
	r := Report{Before: before.UTC(), SandboxBefore: sandboxBefore.UTC()}
	if err := p.dropDays(ctx, &r); err != nil {
		return r, err
	}
	// What is left before the cutoff: everything on SQLite; on PostgreSQL
	// the default partition's rows and the final messages of days that
	// still hold one that is not.
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

// dropDays drops, on PostgreSQL, the day partitions that end by r.Before:
// a day's events by their own day, a day's messages unless one of them is
// not final yet (such a day goes by the batches, which keep those). Each
// partition is detached first, which waits at most a moment for its lock,
// so claims and inserts are never held up for long; one not detached now
// is tried again at the next prune.
func (p *Pruner) dropDays(ctx context.Context, r *Report) error {
	parts, err := p.DayPartitions(ctx)
	if err != nil {
		return err
	}
	for _, part := range parts {
		if part.End().After(r.Before) {
			continue
		}
		if part.Table == "messages" && part.Attached {
			pending, err := p.anyPending(ctx, part.Name)
			if err != nil {
				return err
			}
			if pending {
				continue
			}
		}
		detached := false
		for try := 0; try < 5 && !detached; try++ {
			if try > 0 {
				if err := p.pause(ctx, 0); err != nil {
					return err
				}
			}
			if detached, err = p.DetachPartition(ctx, part); err != nil {
				return err
			}
		}
		if !detached {
			p.Log.Warn("retention: could not detach a day partition now; trying again at the next prune", "partition", part.Name)
			continue
		}
		if err := p.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return p.dropDetached(tx, part, r) }); err != nil {
			return err
		}
	}
	return nil
}

// dropDetached drops a detached day partition, and with a day of messages
// what refers to them: their reports, the sandbox's links to them, and
// their contents. A request's content is made with its messages, at the
// time they were queued, so the contents made that day are those of the
// day's messages, which no message outside the day uses; a task run's
// content stays with the run.
func (p *Pruner) dropDetached(tx *gorm.DB, part db.DayPartition, r *Report) error {
	n, estimated, err := rowCount(tx, part.Name)
	if err != nil {
		return err
	}
	r.Estimated = r.Estimated || estimated
	if part.Table == "messages" {
		for _, q := range []string{
			"DELETE FROM message_reports r WHERE EXISTS (SELECT 1 FROM " + part.Name + " m WHERE m.id = r.message_id)",
			"UPDATE sandbox_messages s SET message_id = NULL WHERE EXISTS (SELECT 1 FROM " + part.Name + " m WHERE m.id = s.message_id)",
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		res := tx.Exec("DELETE FROM message_contents c WHERE created_at >= ? AND created_at < ?"+
			" AND NOT EXISTS (SELECT 1 FROM task_runs WHERE task_runs.content_id = c.id)", part.Day, part.End())
		if res.Error != nil {
			return res.Error
		}
		r.Contents += res.RowsAffected
		r.Messages += n
	} else {
		r.Events += n
	}
	r.Partitions++
	return tx.Exec("DROP TABLE " + part.Name).Error
}

// rowCount is how many rows table holds: from the statistics autovacuum
// keeps when it has analysed the table (a day of a million messages is
// counted in a moment, not by reading it), counted otherwise.
func rowCount(tx *gorm.DB, table string) (n int64, estimated bool, err error) {
	if err := tx.Raw("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(?)", table).Scan(&n).Error; err != nil || n >= 0 {
		return n, true, err
	}
	err = tx.Table(table).Count(&n).Error
	return n, false, err
}

// anyPending says whether table holds a message that is not final yet,
// a status at a time, so each look-up is one of the partial indexes on
// unfinished messages (0004_delivery.sql) instead of a read of the day.
func (p *Pruner) anyPending(ctx context.Context, table string) (bool, error) {
	for _, st := range models.PendingStatuses() {
		if found, err := db.AnyRow(p.Gorm.WithContext(ctx).Table(table).Where("status = ?", st)); err != nil || found {
			return found, err
		}
	}
	return false, nil
}
