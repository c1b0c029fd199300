package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// DestinationThrottle is a receiving domain that asked Sesame to slow down
// (421/451 replies): nothing is sent to it until Until.
type DestinationThrottle struct {
	Domain         string `gorm:"primaryKey"`
	Until          time.Time
	BackoffSeconds int
	Reason         string
}

// ThrottleDestination records (or extends) a throttle.
func (s *Store) ThrottleDestination(ctx context.Context, t DestinationThrottle) error {
	t.Reason = truncate(t.Reason, 1000)
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&t).Error
}

// ActiveThrottles lists destinations throttled now.
func (s *Store) ActiveThrottles(ctx context.Context) ([]DestinationThrottle, error) {
	var out []DestinationThrottle
	err := s.db.WithContext(ctx).Where("until > ?", s.now()).Order("domain").Find(&out).Error
	return out, err
}

// GetMessageContent loads a content row.
func (s *Store) GetMessageContent(ctx context.Context, id uint64) (*MessageContent, error) {
	var c MessageContent
	if err := s.db.WithContext(ctx).Take(&c, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}
