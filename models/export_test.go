package models

import (
	"context"

	"gorm.io/gorm"
)

// Drain runs every job queued on this node and returns when none is left,
// so tests can import without a background loop.
func (im *Importer) Drain(ctx context.Context) error {
	node, err := im.store.nodeID()
	if err != nil {
		return err
	}
	for {
		job, err := im.store.claimImportJob(ctx, node)
		if err != nil || job == nil {
			return err
		}
		im.run(ctx, job)
	}
}

// WarmupCounts reads what one domain's or IP's warm-up day counted.
func (s *Store) WarmupCounts(ctx context.Context, subject string, id uint64, day string) (sent, hardBounced, complained int, err error) {
	var u warmupUsage
	err = s.db.WithContext(ctx).Where("subject = ? AND subject_id = ? AND day = ?", subject, id, day).Take(&u).Error
	return u.Sent, u.HardBounced, u.Complained, err
}

// ClaimWithoutRunning takes the next job as a process that then dies would.
func (im *Importer) ClaimWithoutRunning(ctx context.Context) (*ImportJob, error) {
	node, err := im.store.nodeID()
	if err != nil {
		return nil, err
	}
	return im.store.claimImportJob(ctx, node)
}

// EnqueueTogether commits reqs as one group, as Enqueue calls that arrive
// during another commit are, and returns each one's messages and error.
func (s *Store) EnqueueTogether(ctx context.Context, reqs []EnqueueRequest) ([][]Message, []error) {
	msgs, errs := make([][]Message, len(reqs)), make([]error, len(reqs))
	rows := make([]*preparedEnqueue, len(reqs))
	g := &s.enqueues
	g.mu.Lock()
	for i, req := range reqs {
		if rows[i], errs[i] = s.prepareEnqueue(req, s.now()); errs[i] == nil {
			g.waiting = append(g.waiting, rows[i])
		}
	}
	g.busy = true
	g.mu.Unlock()
	g.commit(ctx, s)
	for i, r := range rows {
		if r != nil {
			<-r.done
			msgs[i], errs[i] = r.msgs, r.err
		}
	}
	return msgs, errs
}

// DirectCounts counts straight from the messages and their events what the
// rollup counts, and the clicks by people, for tests that hold the rollup
// to them.
func (s *Store) DirectCounts(ctx context.Context) (StatsRow, int64, error) {
	var r StatsRow
	var clicks int64
	db := s.db.WithContext(ctx)
	events := func(where string, args ...any) *gorm.DB { return db.Model(&MessageEvent{}).Where(where, args...) }
	for _, q := range []struct {
		q    *gorm.DB
		into *int64
	}{
		{db.Model(&Message{}), &r.Requested},
		{events("type IN ?", []string{"delivered", "deferred", "bounced"}).Distinct("message_id"), &r.Accepted},
		{events("type = ?", "delivered"), &r.Delivered},
		{events("type = ?", "deferred"), &r.Deferred},
		{events("type = ?", "bounced"), &r.Bounced},
		{events("type = ? AND NOT machine", "opened").Distinct("message_id"), &r.Opened},
		{events("type = ? AND NOT machine", "clicked").Distinct("message_id"), &r.Clicked},
		{events("type = ?", "unsubscribed"), &r.Unsubscribed},
		{events("type = ?", "complained"), &r.Complained},
		{events("type = ? AND NOT machine", "clicked"), &clicks},
	} {
		if err := q.q.Count(q.into).Error; err != nil {
			return r, 0, err
		}
	}
	return r, clicks, nil
}

// APISignatureCount is how many API request signatures are remembered.
func (s *Store) APISignatureCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&apiSignature{}).Count(&n).Error
	return n, err
}
