package queue

import (
	"context"
	"time"

	"github.com/sesame-email/sesame/models"
	"gorm.io/gorm/clause"
)

// DestinationThrottle is a destination (a receiving domain, or the relay)
// that told one source IP to slow down: nothing is sent there from that
// address until Until.
type DestinationThrottle struct {
	Destination    string `gorm:"primaryKey"`
	SourceIP       string `gorm:"primaryKey"` // "" for the default route
	Until          time.Time
	BackoffSeconds int // how long this throttle lasts; the next one doubles it
	Reason         string
}

// ThrottleDestination records (or extends) a throttle.
func (s *Queue) ThrottleDestination(ctx context.Context, t DestinationThrottle) error {
	t.Reason = models.Truncate(t.Reason, 1000)
	return s.Gorm.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&t).Error
}

// EndThrottle forgets a destination's throttle for a source IP: a delivery
// there succeeded.
func (s *Queue) EndThrottle(ctx context.Context, destination, sourceIP string) error {
	return s.Gorm.WithContext(ctx).Where("destination = ? AND source_ip = ?", destination, sourceIP).Delete(&DestinationThrottle{}).Error
}

// ThrottlesUntil lists the throttles that last beyond t: with t now, those
// holding now; with an earlier t, also those that ended since, which a
// new throttle grows from.
func (s *Queue) ThrottlesUntil(ctx context.Context, t time.Time) ([]DestinationThrottle, error) {
	var out []DestinationThrottle
	err := s.Gorm.WithContext(ctx).Where("until > ?", t).Order("destination, source_ip").Find(&out).Error
	return out, err
}
