package queue

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// GetMessageContent loads a content row.
func (s *Queue) GetMessageContent(ctx context.Context, id uint64) (*MessageContent, error) {
	var c MessageContent
	if err := s.Gorm.WithContext(ctx).Take(&c, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &c, nil
}

// GetMessageContents loads content rows, those of ids that exist, in one
// query.
func (s *Queue) GetMessageContents(ctx context.Context, ids []uint64) ([]MessageContent, error) {
	in, list := s.IDsIn("id", ids)
	var rows []MessageContent
	err := s.Gorm.WithContext(ctx).Where(in, list).Find(&rows).Error
	return rows, err
}

// GetMessageByUID loads a message by its public id.
func (s *Queue) GetMessageByUID(ctx context.Context, uid string) (*Message, error) {
	var m Message
	if err := s.Gorm.WithContext(ctx).Where("uid = ?", uid).Take(&m).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &m, nil
}

// MessageEvents returns a message's events, oldest first.
func (s *Queue) MessageEvents(ctx context.Context, messageID uint64) ([]MessageEvent, error) {
	var out []MessageEvent
	err := s.Gorm.WithContext(ctx).Where("message_id = ?", messageID).Order("id").Find(&out).Error
	return out, err
}

// CountMessageEvents counts a message's events.
func (s *Queue) CountMessageEvents(ctx context.Context, messageID uint64) (int64, error) {
	var n int64
	err := s.Gorm.WithContext(ctx).Model(&MessageEvent{}).Where("message_id = ?", messageID).Count(&n).Error
	return n, err
}

// CountMessagesByStatus counts every message by status.
func (s *Queue) CountMessagesByStatus(ctx context.Context) (map[models.MessageStatus]int, error) {
	var rows []struct {
		Status models.MessageStatus
		N      int
	}
	if err := s.Gorm.WithContext(ctx).Model(&Message{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[models.MessageStatus]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// SandboxPage lists sandbox messages newest first, before id (0: from the
// newest), for keyset pagination.
func (s *Sandbox) SandboxPage(ctx context.Context, before uint64, limit int) ([]SandboxMessage, error) {
	var out []SandboxMessage
	q := s.Gorm.WithContext(ctx).Omit("raw").Order("id DESC").Limit(limit)
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	err := q.Find(&out).Error
	return out, err
}

// GetSandboxMessage loads one sandbox message with its raw data.
func (s *Sandbox) GetSandboxMessage(ctx context.Context, id uint64) (*SandboxMessage, error) {
	var m SandboxMessage
	if err := s.Gorm.WithContext(ctx).Take(&m, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &m, nil
}

// ClearSandbox empties the sandbox mailbox.
func (s *Sandbox) ClearSandbox(ctx context.Context) (int64, error) {
	res := s.Gorm.WithContext(ctx).Where("1 = 1").Delete(&SandboxMessage{})
	return res.RowsAffected, res.Error
}

// ContentFromTemplate snapshots a template for a send request, so later
// edits of the template do not change mail already queued.
func ContentFromTemplate(t *content.Template, unsubscribe string) MessageContent {
	id := t.ID
	return MessageContent{Subject: t.Subject, HTML: t.HTML, Text: t.Text, Unsubscribe: unsubscribe, TemplateID: &id}
}

// GetMessage loads a message by id.
func (s *Queue) GetMessage(ctx context.Context, id uint64) (*Message, error) {
	var m Message
	if err := s.Gorm.WithContext(ctx).Take(&m, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &m, nil
}

// MessageQuery finds messages the way Tencent's GetSendEmailStatus does: one
// calendar day, optionally one message id or one recipient.
type MessageQuery struct {
	Day time.Time // any time on the day, in the zone of the day
	UID string
	// Request is the uid of any message of a send request made outside a
	// task (an API or SMTP send): every recipient's message of it.
	Request   string
	Recipient string
	Offset    int
	Limit     int
}

// MessageRow is a found message with its engagement flags.
type MessageRow struct {
	Message
	Complained bool
	// RequestUID names the send request of a message sent outside a task:
	// the uid of its first recipient's message, which the sender was given
	// (Tencent's MessageId). A task's message names itself.
	RequestUID string
}

// FindMessages returns the messages of q's day (newest first) and whether
// there are more.
func (s *Queue) FindMessages(ctx context.Context, q MessageQuery) ([]MessageRow, bool, error) {
	y, m, d := q.Day.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, q.Day.Location())
	db := s.Gorm.WithContext(ctx).Model(&Message{}).Where("created_at >= ? AND created_at < ?", start.UTC(), start.AddDate(0, 0, 1).UTC())
	if q.UID != "" {
		db = db.Where("uid = ?", strings.TrimSpace(q.UID))
	}
	if q.Request != "" {
		uid := strings.TrimSpace(q.Request)
		db = db.Where("(uid = ? OR content_id = (SELECT content_id FROM messages WHERE uid = ? AND run_id IS NULL))", uid, uid)
	}
	if q.Recipient != "" {
		db = db.Where("recipient = ?", strings.ToLower(strings.TrimSpace(q.Recipient)))
	}
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 100
	}
	var msgs []Message
	if err := db.Order("created_at DESC, id DESC").Offset(q.Offset).Limit(q.Limit + 1).Find(&msgs).Error; err != nil {
		return nil, false, err
	}
	more := len(msgs) > q.Limit
	if more {
		msgs = msgs[:q.Limit]
	}
	ids := make([]uint64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	var complained []uint64
	if len(ids) > 0 {
		if err := s.Gorm.WithContext(ctx).Model(&MessageEvent{}).Where("message_id IN ? AND type = ?", ids, EventComplained).
			Distinct().Pluck("message_id", &complained).Error; err != nil {
			return nil, false, err
		}
	}
	got := map[uint64]bool{}
	for _, id := range complained {
		got[id] = true
	}
	requests, err := RequestUIDs(s.Gorm.WithContext(ctx), msgs)
	if err != nil {
		return nil, false, err
	}
	out := make([]MessageRow, len(msgs))
	for i, m := range msgs {
		out[i] = MessageRow{Message: m, Complained: got[m.ID], RequestUID: m.UID}
		if uid, ok := requests[m.ContentID]; ok && m.RunID == nil {
			out[i].RequestUID = uid
		}
	}
	return out, more, nil
}

// RequestUIDs is the package's RequestUIDs, on the store's database.
func (s *Queue) RequestUIDs(ctx context.Context, msgs []Message) (map[uint64]string, error) {
	return RequestUIDs(s.Gorm.WithContext(ctx), msgs)
}

// RequestUIDs maps the content of each message sent outside a task to the
// uid of its request's first message: what SendEmail answered (Tencent's
// MessageId, a callback's bulkId). A request's messages share their
// content and the time they were queued, which narrows the search to that
// moment (the index on created_at, one partition).
func RequestUIDs(tx *gorm.DB, msgs []Message) (map[uint64]string, error) {
	var contents []uint64
	var times []time.Time
	seen := map[uint64]bool{}
	for _, m := range msgs {
		if m.RunID == nil && !seen[m.ContentID] {
			seen[m.ContentID] = true
			contents = append(contents, m.ContentID)
			times = append(times, m.CreatedAt)
		}
	}
	out := map[uint64]string{}
	if len(contents) == 0 {
		return out, nil
	}
	var rows []struct {
		ContentID uint64
		UID       string
	}
	first := tx.Model(&Message{}).Select("MIN(id)").Where("created_at IN ? AND content_id IN ?", times, contents).Group("content_id")
	err := tx.Model(&Message{}).Select("content_id, uid").Where("created_at IN ? AND id IN (?)", times, first).Scan(&rows).Error
	for _, r := range rows {
		out[r.ContentID] = r.UID
	}
	return out, err
}
