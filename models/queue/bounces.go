package queue

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MessageRef names a message the way reports about it do: by the uid and
// sending domain read from its VERP return path or its Message-ID.
type MessageRef struct {
	UID    string
	Domain string
}

// Bounce is what an asynchronous delivery status notification (RFC 3464)
// says about one message.
type Bounce struct {
	Message MessageRef
	// Hard marks a permanent failure: the message is bounced and its
	// recipient suppressed. Otherwise the receiver is still trying (a delay,
	// a temporary failure) and the report is only noted on the message.
	Hard       bool
	Status     string // the enhanced status code, such as 5.1.1
	Diagnostic string // the receiving server's reply, as the report quotes it
	// Fingerprint tells soft-bounce notices apart (a digest of the report):
	// each distinct notice is noted once, however often it arrives.
	Fingerprint string
}

// Complaint is a feedback report (ARF, RFC 5965): a recipient marked the
// message as spam.
type Complaint struct {
	Message      MessageRef
	FeedbackType string // abuse, fraud, …
	Reporter     string // the feedback loop, as the report names itself
}

// Event types of reports, beside the statuses a message passes through.
const (
	EventSoftBounced = "soft_bounced"
	EventComplained  = "complained"
)

// reportKind is what a message_reports row records.
type reportKind string

const (
	reportHardBounce reportKind = "hard_bounce"
	reportSoftBounce reportKind = "soft_bounce"
	reportComplaint  reportKind = "complaint"
)

// messageReport marks a report's effect as applied to a message.
type messageReport struct {
	MessageID   uint64
	Kind        reportKind
	Fingerprint string
	ReceivedAt  time.Time
}

func (messageReport) TableName() string { return "message_reports" }

// RecordBounce applies an asynchronous bounce to its message and reports
// whether it changed anything. A hard bounce, once per message: the status
// becomes bounced (when the transition table allows it), a "bounced" event
// with the status code and diagnostic, the recipient on the suppression list
// for every sender, and a hard bounce in the warm-up count of a bulk
// message's day. Nothing for a message that already bounced, since that was
// counted then. A soft bounce: a "soft_bounced" event only, once per
// distinct notice. ErrNotFound: no such message from that domain.
func (s *Queue) RecordBounce(ctx context.Context, b Bounce) (bool, error) {
	detail := models.Truncate(strings.TrimSpace(b.Status+" "+b.Diagnostic), 1000)
	if !b.Hard {
		return s.recordReport(ctx, b.Message, reportSoftBounce, b.Fingerprint, func(tx *gorm.DB, m *Message, now time.Time) (bool, error) {
			return true, addEvent(tx, m, EventSoftBounced, detail, now)
		})
	}
	return s.recordReport(ctx, b.Message, reportHardBounce, "", func(tx *gorm.DB, m *Message, now time.Time) (bool, error) {
		if m.Status == models.StatusBounced {
			return false, nil
		}
		if err := addEvent(tx, m, string(models.StatusBounced), detail, now); err != nil {
			return false, err
		}
		if m.Status.CanTransitionTo(models.StatusBounced) {
			if err := tx.Model(&Message{}).Where("id = ?", m.ID).Updates(map[string]any{
				"status": models.StatusBounced, "last_reply": detail, "lease_owner": "", "lease_until": nil, "updated_at": now,
			}).Error; err != nil {
				return false, err
			}
		}
		return true, countAndSuppress(tx, m, "hard_bounced", audience.SuppressionInput{Value: m.Recipient, Reason: audience.ReasonHardBounce,
			Source: "bounce report: " + models.Truncate(detail, 200)}, now)
	})
}

// RecordComplaint applies a complaint to its message, once per message, and
// reports whether it changed anything: a "complained" event, the recipient
// on the suppression list for every sender, and a complaint in the warm-up
// count of a bulk message's day. The message's status stays as it is: it
// was delivered. ErrNotFound: no such message from that domain.
func (s *Queue) RecordComplaint(ctx context.Context, c Complaint) (bool, error) {
	detail := strings.TrimSpace(c.FeedbackType + " report")
	if c.Reporter != "" {
		detail += " from " + c.Reporter
	}
	detail = models.Truncate(detail, 1000)
	return s.recordReport(ctx, c.Message, reportComplaint, "", func(tx *gorm.DB, m *Message, now time.Time) (bool, error) {
		if err := addEvent(tx, m, EventComplained, detail, now); err != nil {
			return false, err
		}
		return true, countAndSuppress(tx, m, "complained", audience.SuppressionInput{Value: m.Recipient, Reason: audience.ReasonComplaint,
			Source: "complaint: " + models.Truncate(detail, 200)}, now)
	})
}

// recordReport runs apply in one transaction with the message ref names,
// locked, unless a report of this kind and fingerprint was applied to it
// before: a replay changes nothing.
func (s *Queue) recordReport(ctx context.Context, ref MessageRef, kind reportKind, fingerprint string,
	apply func(tx *gorm.DB, m *Message, now time.Time) (bool, error)) (bool, error) {
	if !ValidMessageUID(ref.UID) {
		return false, models.ErrNotFound
	}
	domain, err := models.NormalizeDomain(ref.Domain)
	if err != nil {
		return false, models.ErrNotFound
	}
	now := s.Now()
	changed := false
	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m Message
		q := tx.Where("uid = ? AND domain_id = (SELECT id FROM domains WHERE name = ?)", ref.UID, domain)
		if s.Dialect() == db.Postgres {
			// Reports about one message, and its delivery results, take turns.
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&m).Error; err != nil {
			return db.NotFound(err)
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&messageReport{MessageID: m.ID, Kind: kind, Fingerprint: fingerprint, ReceivedAt: now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		var err error
		changed, err = apply(tx, &m, now)
		return err
	})
	return changed && err == nil, err
}

// countAndSuppress adds a hard bounce or complaint to the warm-up count of
// a bulk message's day and suppresses its recipient.
func countAndSuppress(tx *gorm.DB, m *Message, column string, in audience.SuppressionInput, now time.Time) error {
	stats := StatsBatch{}
	if column == "complained" {
		stats.Add(now, m, statComplained)
	} else {
		stats.Add(now, m, statBounced)
	}
	if err := stats.Write(tx); err != nil {
		return err
	}
	if m.SentOn != "" {
		if err := countWarmupOutcome(tx, m, column); err != nil {
			return err
		}
	}
	_, _, err := audience.AddSuppression(tx, in, now)
	return err
}

func addEvent(tx *gorm.DB, m *Message, typ, detail string, now time.Time) error {
	return tx.Create(&MessageEvent{MessageID: m.ID, Type: typ, At: now, Detail: detail, SourceIP: m.SourceIP}).Error
}
