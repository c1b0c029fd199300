package webhooks

import (
	"context"
	"errors"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// ErrLeaseLost means another process took the endpoint over (this one
// stalled past its lease): what this one posted is not recorded, and the
// other posts it again.
var ErrLeaseLost = errors.New("webhooks: the endpoint's lease passed to another process")

// Post is one attempt at posting an event: its delivery (new ones without
// an id, with their body) and what came of it.
type Post struct {
	Delivery *Delivery
	Attempt  Attempt
}

// settle applies an attempt's outcome to its delivery: delivered on a 2xx,
// else retried on the schedule until its time is up, then failed.
func (p *Post) settle(now time.Time) {
	d := p.Delivery
	d.Attempts++
	switch {
	case p.Attempt.OK():
		d.Status, d.NextAttemptAt = DeliveryDelivered, nil
	case !now.Before(d.GiveUpAt):
		d.Status, d.NextAttemptAt = DeliveryFailed, nil
	default:
		next := NextAttempt(d.Attempts, now)
		d.Status, d.NextAttemptAt = DeliveryRetrying, &next
	}
	d.UpdatedAt = now
}

// RecordPosts writes what owner posted for an endpoint, in one transaction
// and only while owner holds its lease: new deliveries and the changed
// state of retried ones, an attempt each, the endpoint's health (a success
// ends its failing; a failure starts it), and, when next is given, its
// cursor moved on to next.
func (s *Store) RecordPosts(ctx context.Context, owner string, endpointID uint64, next *Position, posts []Post) error {
	now := s.Now()
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ok, failed bool
		for i := range posts {
			p := &posts[i]
			if p.Delivery.ID == 0 {
				p.Delivery.EndpointID, p.Delivery.CreatedAt, p.Delivery.GiveUpAt = endpointID, now, now.Add(GiveUpAfter)
			}
			p.settle(now)
			ok = ok || p.Attempt.OK()
			failed = failed || !p.Attempt.OK()
		}
		cols := map[string]any{"updated_at": now}
		if next != nil {
			cols["cursor_txid"], cols["cursor_id"] = next.Txid, next.ID
		}
		switch {
		case ok:
			cols["last_success_at"], cols["failing_since"] = now, nil
		case failed:
			cols["failing_since"] = gorm.Expr("COALESCE(failing_since, ?)", now)
		}
		res := tx.Model(&Endpoint{}).Where("id = ? AND lease_owner = ?", endpointID, owner).Updates(cols)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrLeaseLost
		}
		return s.writePosts(tx, posts)
	})
}

// writePosts inserts the new deliveries, each with its first attempt in
// its row, and updates the retried ones, inserting their attempt.
func (s *Store) writePosts(tx *gorm.DB, posts []Post) error {
	var (
		fresh    []*Delivery
		attempts [][]any
	)
	for i := range posts {
		d, a := posts[i].Delivery, posts[i].Attempt
		if d.ID == 0 {
			d.setFirst(a)
			fresh = append(fresh, d)
			continue
		}
		if err := tx.Model(&Delivery{}).Where("id = ?", d.ID).Updates(map[string]any{
			"status": d.Status, "attempts": d.Attempts, "next_attempt_at": d.NextAttemptAt, "updated_at": d.UpdatedAt}).Error; err != nil {
			return err
		}
		attempts = append(attempts, []any{d.ID, a.At, a.StatusCode, a.LatencyMS, models.Truncate(a.Response, MaxResponse), models.Truncate(a.Error, maxAttemptError)})
	}
	// Placeholders rather than InsertRows' JSON on SQLite: reading each of
	// a wide row's values out of JSON copies the row, body and all, again.
	if len(fresh) > 0 {
		if err := tx.CreateInBatches(fresh, s.RowsPerStatement(18)).Error; err != nil {
			return err
		}
	}
	if len(attempts) == 0 {
		return nil
	}
	return s.InsertRows(tx, "webhook_attempts", []string{"delivery_id", "at", "status_code", "latency_ms", "response", "error"}, attempts)
}

// DueRetries returns up to limit of an endpoint's deliveries whose next
// attempt is due, oldest first.
func (s *Store) DueRetries(ctx context.Context, endpointID uint64, limit int) ([]Delivery, error) {
	var out []Delivery
	err := s.Gorm.WithContext(ctx).Where("endpoint_id = ? AND status = ? AND next_attempt_at <= ?", endpointID, DeliveryRetrying, s.Now()).
		Order("next_attempt_at").Limit(limit).Find(&out).Error
	return out, err
}

// SwitchOffFailing turns off the endpoints that have had no success for
// GiveUpAfter, failing what they still had to retry (it can be replayed
// once they are back), and returns them.
func (s *Store) SwitchOffFailing(ctx context.Context) ([]Endpoint, error) {
	now := s.Now()
	failing := func(q *gorm.DB) *gorm.DB {
		return q.Model(&Endpoint{}).Where("enabled = ? AND failing_since <= ?", true, now.Add(-GiveUpAfter))
	}
	// Looked for first outside a transaction: on SQLite a transaction takes
	// the write lock as it begins, which every round would otherwise take
	// beside delivery, though there is seldom anything to switch off.
	if found, err := db.AnyRow(failing(s.Gorm.WithContext(ctx))); err != nil || !found {
		return nil, err
	}
	var off []Endpoint
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := failing(tx).Find(&off).Error; err != nil || len(off) == 0 {
			return err
		}
		ids := make([]uint64, len(off))
		for i, ep := range off {
			ids[i] = ep.ID
		}
		reason := "Switched off on " + now.Format("2006-01-02 15:04 MST") + ": no request was answered with a 2xx for 24 hours."
		if err := tx.Model(&Endpoint{}).Where("id IN ?", ids).Updates(map[string]any{
			"enabled": false, "disabled_reason": reason, "lease_owner": "", "lease_until": nil, "updated_at": now}).Error; err != nil {
			return err
		}
		return tx.Model(&Delivery{}).Where("endpoint_id IN ? AND status = ?", ids, DeliveryRetrying).
			Updates(map[string]any{"status": DeliveryFailed, "next_attempt_at": nil, "updated_at": now}).Error
	})
	return off, err
}

// DeliveryFilter narrows an endpoint's delivery log.
type DeliveryFilter struct {
	EndpointID uint64
	Event      Event
	Status     DeliveryStatus
	MessageUID string
	Before     uint64 // keyset: deliveries older than this id; 0 from the newest
	Limit      int
}

// DeliveryLog returns an endpoint's deliveries, newest first, with their
// attempts (the first from the delivery's row), and whether there are
// more.
func (s *Store) DeliveryLog(ctx context.Context, f DeliveryFilter) ([]Delivery, map[uint64][]Attempt, bool, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := s.Gorm.WithContext(ctx).Where("endpoint_id = ?", f.EndpointID)
	if f.Event != "" {
		q = q.Where("event = ?", f.Event)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.MessageUID != "" {
		q = q.Where("message_uid = ?", f.MessageUID)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	var out []Delivery
	if err := q.Order("id DESC").Limit(f.Limit + 1).Find(&out).Error; err != nil {
		return nil, nil, false, err
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	attempts := map[uint64][]Attempt{}
	if len(out) == 0 {
		return out, attempts, more, nil
	}
	ids := make([]uint64, len(out))
	for i := range out {
		ids[i] = out[i].ID
		attempts[out[i].ID] = []Attempt{out[i].first()}
	}
	var rows []Attempt
	if err := s.Gorm.WithContext(ctx).Where("delivery_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, false, err
	}
	for _, a := range rows {
		attempts[a.DeliveryID] = append(attempts[a.DeliveryID], a)
	}
	return out, attempts, more, nil
}

// Replay posts an endpoint's delivery again, whatever its state: due now,
// and retried for another day if it fails.
func (s *Store) Replay(ctx context.Context, endpointID, deliveryID uint64) error {
	n, err := s.replay(s.Gorm.WithContext(ctx).Where("endpoint_id = ? AND id = ?", endpointID, deliveryID))
	if err == nil && n == 0 {
		return models.ErrNotFound
	}
	return err
}

// ReplayFailed posts again every failed delivery of an endpoint whose
// event happened in [from, to), and returns how many.
func (s *Store) ReplayFailed(ctx context.Context, endpointID uint64, from, to time.Time) (int64, error) {
	return s.replay(s.Gorm.WithContext(ctx).Where("endpoint_id = ? AND status = ? AND occurred_at >= ? AND occurred_at < ?",
		endpointID, DeliveryFailed, from.UTC(), to.UTC()))
}

func (s *Store) replay(q *gorm.DB) (int64, error) {
	now := s.Now()
	res := q.Model(&Delivery{}).Updates(map[string]any{"status": DeliveryRetrying, "next_attempt_at": now, "give_up_at": now.Add(GiveUpAfter), "updated_at": now})
	return res.RowsAffected, res.Error
}

// RecordTest logs a test event posted to an endpoint, once: it is not
// retried, and does not count towards the endpoint's health.
func (s *Store) RecordTest(ctx context.Context, endpointID uint64, d *Delivery, a Attempt) error {
	now := s.Now()
	d.EndpointID, d.Attempts, d.CreatedAt, d.UpdatedAt, d.GiveUpAt = endpointID, 1, now, now, now
	d.Status = DeliveryDelivered
	if !a.OK() {
		d.Status = DeliveryFailed
	}
	d.setFirst(a)
	return s.Gorm.WithContext(ctx).Create(d).Error
}

// PruneDeliveries deletes the deliveries (and their attempts) made before
// cutoff that are not being retried, batch rows at a time, and returns how
// many.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time, batch int) (int64, error) {
	var total int64
	for {
		var ids []uint64
		if err := s.Gorm.WithContext(ctx).Model(&Delivery{}).Where("created_at < ? AND status <> ?", cutoff, DeliveryRetrying).
			Order("created_at").Limit(batch).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return total, err
		}
		err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			inIDs, list := s.IDsIn("delivery_id", ids)
			if err := tx.Exec("DELETE FROM webhook_attempts WHERE "+inIDs, list).Error; err != nil {
				return err
			}
			inIDs, list = s.IDsIn("id", ids)
			return tx.Exec("DELETE FROM webhook_deliveries WHERE "+inIDs, list).Error
		})
		if err != nil {
			return total, err
		}
		total += int64(len(ids))
		if len(ids) < batch {
			return total, nil
		}
	}
}
