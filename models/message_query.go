package models

import (
	"context"
)

// GetMessageByUID loads a message by its public id.
func (s *Store) GetMessageByUID(ctx context.Context, uid string) (*Message, error) {
	var m Message
	if err := s.db.WithContext(ctx).Where("uid = ?", uid).Take(&m).Error; err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}

// MessageEvents returns a message's events, oldest first.
func (s *Store) MessageEvents(ctx context.Context, messageID uint64) ([]MessageEvent, error) {
	var out []MessageEvent
	err := s.db.WithContext(ctx).Where("message_id = ?", messageID).Order("id").Find(&out).Error
	return out, err
}

// CountMessagesByStatus counts every message by status.
func (s *Store) CountMessagesByStatus(ctx context.Context) (map[MessageStatus]int, error) {
	var rows []struct {
		Status MessageStatus
		N      int
	}
	if err := s.db.WithContext(ctx).Model(&Message{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[MessageStatus]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// ListSandbox returns the newest messages of the sandbox mailbox.
func (s *Store) ListSandbox(ctx context.Context, limit int) ([]SandboxMessage, error) {
	var out []SandboxMessage
	err := s.db.WithContext(ctx).Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}
