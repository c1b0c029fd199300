package queue

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"gorm.io/gorm"
)

// DeliveryResult is the outcome of one delivery attempt.
type DeliveryResult struct {
	Message       *Message // as claimed
	Status        models.MessageStatus
	Reply         string    // the receiver's reply, or why it failed
	NextAttemptAt time.Time // when Status is deferred
	// HardBounce marks a permanent failure that suppresses the recipient.
	HardBounce bool
	// Sandbox is the message the sandbox transport kept, with its subject.
	Sandbox        []byte
	SandboxSubject string
	EnvelopeFrom   string
}

// RecordResults writes a batch of outcomes in one transaction: the status
// of each message (only while owner still holds its lease, so a late result
// never overwrites a message another process has reclaimed), an event per
// attempt, the sandbox copies, and the hard-bounce counts warm-up watches.
// Hard-bounced recipients then join the suppression list.
func (s *Queue) RecordResults(ctx context.Context, owner string, results []DeliveryResult) error {
	if len(results) == 0 {
		return nil
	}
	now := s.Now()
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.updateStatuses(tx, owner, results, now); err != nil {
			return err
		}
		events := make([]MessageEvent, 0, len(results))
		var sandbox []SandboxMessage
		stats := StatsBatch{}
		for _, r := range results {
			countResult(stats, now, r)
			events = append(events, MessageEvent{MessageID: r.Message.ID, Type: string(r.Status), At: now, Detail: models.Truncate(r.Reply, 1000), SourceIP: r.Message.SourceIP})
			if r.Sandbox != nil {
				id := r.Message.ID
				sandbox = append(sandbox, SandboxMessage{MessageID: &id, EnvelopeFrom: r.EnvelopeFrom, Recipient: r.Message.Recipient,
					HeaderFrom: models.Truncate(HeaderFrom(r.Message.FromName, r.Message.FromEmail), 1000),
					Subject:    models.Truncate(r.SandboxSubject, 1000), Raw: r.Sandbox, ReceivedAt: now})
			}
		}
		if err := s.InsertEvents(tx, events); err != nil {
			return err
		}
		if len(sandbox) > 0 {
			if err := tx.CreateInBatches(&sandbox, s.RowsPerStatement(7)).Error; err != nil {
				return err
			}
		}
		for _, r := range results {
			if r.HardBounce && r.Message.SentOn != "" {
				if err := countWarmupOutcome(tx, r.Message, "hard_bounced"); err != nil {
					return err
				}
			}
		}
		return stats.Write(tx)
	})
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.HardBounce {
			if _, _, err := s.suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: r.Message.Recipient, Reason: audience.ReasonHardBounce,
				Source: "bounce: " + models.Truncate(r.Reply, 200)}); err != nil {
				return err
			}
		}
	}
	return nil
}

// countResult adds an attempt's outcome to the rollup: a message is
// accepted at its first attempt that reached a receiver or failed there.
func countResult(stats StatsBatch, now time.Time, r DeliveryResult) {
	m := r.Message
	switch r.Status {
	case models.StatusDelivered, models.StatusDeferred, models.StatusBounced:
		if m.Attempts == 1 {
			stats.Add(now, m, statAccepted)
		}
	}
	switch r.Status {
	case models.StatusDelivered:
		stats.Add(now, m, statDelivered)
	case models.StatusDeferred:
		stats.Add(now, m, statDeferred)
	case models.StatusBounced:
		stats.Add(now, m, statBounced)
	}
}

// countWarmupOutcome adds a hard bounce or complaint to the usage of the
// day and the domain and IP a bulk message was sent from.
func countWarmupOutcome(tx *gorm.DB, m *Message, column string) error {
	if err := tx.Model(&WarmupUsage{}).Where("subject = ? AND subject_id = ? AND day = ?", "domain", m.DomainID, m.SentOn).
		Update(column, gorm.Expr(column+" + 1")).Error; err != nil {
		return err
	}
	var ipID uint64
	if err := tx.Model(&identity.SendingIP{}).Select("id").Where("address = ?", m.SourceIP).Scan(&ipID).Error; err != nil || ipID == 0 {
		return err
	}
	return tx.Model(&WarmupUsage{}).Where("subject = ? AND subject_id = ? AND day = ?", "ip", ipID, m.SentOn).
		Update(column, gorm.Expr(column+" + 1")).Error
}

// updateStatuses writes many rows' outcomes: with multi-row statements on
// PostgreSQL, with one statement reading the batch as JSON on SQLite (see
// jsonRows). A row is written only while owner holds its lease, which the
// lease owner alone says: it is set only with the status sending and
// cleared whenever a message leaves that status. The status is not tested
// as well: PostgreSQL would then read the rows through the partial index
// messages_leases, which between vacuums holds an entry for every message
// ever claimed (tens of thousands in a run, 23 ms a batch of 500), instead
// of looking each up by its key.
func (s *Queue) updateStatuses(tx *gorm.DB, owner string, results []DeliveryResult, now time.Time) error {
	if s.Dialect() == db.SQLite {
		rows := make([][]any, len(results))
		for i, r := range results {
			rows[i] = resultRow(r, now)
		}
		data, err := db.JsonRows(rows)
		if err != nil {
			return err
		}
		return tx.Exec("UPDATE messages SET status = v.status, last_reply = v.reply, next_attempt_at = v.next, delivered_at = v.delivered, "+
			"lease_owner = '', lease_until = NULL, updated_at = ? FROM (SELECT "+db.JsonColumns(resultColumns)+" FROM json_each(?)) AS v "+
			"WHERE messages.id = v.id AND messages.lease_owner = ?", now, data, owner).Error
	}
	chunk := s.RowsPerStatement(len(resultColumns) + 1) // and the owner
	for start := 0; start < len(results); start += chunk {
		if err := s.updateStatusesOnce(tx, owner, results[start:min(start+chunk, len(results))], now); err != nil {
			return err
		}
	}
	return nil
}

// updateStatusesOnce writes rows' outcomes with one PostgreSQL statement.
// Each row carries the owner, which makes the lease test a join clause
// rather than a filter on messages: the planner's statistics only ever
// see a few rows in flight for an owner (none for a process that has just
// started), so as a filter it estimated that one row of the created_at
// range qualified and joined every row of the range to every row of the
// batch (250-600 ms a statement once a campaign's day was analysed,
// instead of 5).
func (s *Queue) updateStatusesOnce(tx *gorm.DB, owner string, results []DeliveryResult, now time.Time) error {
	var (
		sql  strings.Builder
		args []any
	)
	sql.WriteString("UPDATE messages AS m SET status = v.status, last_reply = v.reply, next_attempt_at = v.next, delivered_at = v.delivered, " +
		"lease_owner = '', lease_until = NULL, updated_at = ? FROM (VALUES ")
	args = append(args, now)
	for i, r := range results {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString("(?::bigint, ?::varchar, ?::varchar, ?::timestamptz, ?::timestamptz, ?::varchar)")
		args = append(append(args, resultRow(r, now)...), owner)
	}
	var created db.Span
	for _, r := range results {
		created.Add(r.Message.CreatedAt)
	}
	within, days := s.Within("m.created_at", created)
	sql.WriteString(") AS v(id, status, reply, next, delivered, owner) WHERE m.id = v.id AND m.lease_owner = v.owner" + within)
	args = append(args, days...)
	return tx.Exec(sql.String(), args...).Error
}

var resultColumns = []string{"id", "status", "reply", "next", "delivered"}

// resultRow is a result's id, status, reply, next attempt and delivery time.
func resultRow(r DeliveryResult, now time.Time) []any {
	next := r.NextAttemptAt
	if r.Status != models.StatusDeferred || next.IsZero() {
		next = r.Message.NextAttemptAt
	}
	var delivered any
	if r.Status == models.StatusDelivered {
		delivered = now
	}
	return []any{r.Message.ID, string(r.Status), models.Truncate(r.Reply, 1000), next.UTC(), delivered}
}
