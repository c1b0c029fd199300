package accounts

import (
	"context"
	"time"

	"github.com/sesame-email/sesame/models/db"
)

// Session is a signed-in console session. ID is the SHA-256 of the token in
// the browser's cookie; Data holds the encoded session values (flashes).
type Session struct {
	ID         string
	UserID     uint64
	Data       []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// CreateSession stores a new session.
func (s *Accounts) CreateSession(ctx context.Context, sess *Session) error {
	return s.Gorm.WithContext(ctx).Create(sess).Error
}

// GetSession loads a session by id.
func (s *Accounts) GetSession(ctx context.Context, id string) (*Session, error) {
	var sess Session
	if err := s.Gorm.WithContext(ctx).Where("id = ?", id).Take(&sess).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &sess, nil
}

// UpdateSession writes a session's values and last-seen time.
func (s *Accounts) UpdateSession(ctx context.Context, id string, data []byte, lastSeen time.Time) error {
	return s.Gorm.WithContext(ctx).Model(&Session{}).Where("id = ?", id).
		Updates(map[string]any{"data": data, "last_seen_at": lastSeen}).Error
}

// DeleteSession ends one session.
func (s *Accounts) DeleteSession(ctx context.Context, id string) error {
	return s.Gorm.WithContext(ctx).Where("id = ?", id).Delete(&Session{}).Error
}

// DeleteExpiredSessions removes sessions past their absolute expiry or idle
// since before idleBefore, and returns how many went.
func (s *Accounts) DeleteExpiredSessions(ctx context.Context, idleBefore time.Time) (int64, error) {
	res := s.Gorm.WithContext(ctx).Where("expires_at < ? OR last_seen_at < ?", s.Now(), idleBefore).Delete(&Session{})
	return res.RowsAffected, res.Error
}
