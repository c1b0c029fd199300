package models

import (
	"context"

	"gorm.io/gorm"
)

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
