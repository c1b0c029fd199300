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

// SandboxPage lists sandbox messages newest first, before id (0: from the
// newest), for keyset pagination.
func (s *Store) SandboxPage(ctx context.Context, before uint64, limit int) ([]SandboxMessage, error) {
	var out []SandboxMessage
	q := s.db.WithContext(ctx).Omit("raw").Order("id DESC").Limit(limit)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	err := q.Find(&out).Error
	return out, err
}

// GetSandboxMessage loads one sandbox message with its raw data.
func (s *Store) GetSandboxMessage(ctx context.Context, id uint64) (*SandboxMessage, error) {
	var m SandboxMessage
	if err := s.db.WithContext(ctx).Take(&m, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}

// ClearSandbox empties the sandbox mailbox.
func (s *Store) ClearSandbox(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("1 = 1").Delete(&SandboxMessage{})
	return res.RowsAffected, res.Error
}

// ContentFromTemplate snapshots a template for a send request, so later
// edits of the template do not change mail already queued.
func ContentFromTemplate(t *Template, unsubscribe string) MessageContent {
	id := t.ID
	return MessageContent{Subject: t.Subject, HTML: t.HTML, Text: t.Text, Unsubscribe: unsubscribe, TemplateID: &id}
}

// GetMessage loads a message by id.
func (s *Store) GetMessage(ctx context.Context, id uint64) (*Message, error) {
	var m Message
	if err := s.db.WithContext(ctx).Take(&m, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}
