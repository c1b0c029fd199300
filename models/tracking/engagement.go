package tracking

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// EngagementKind is what a recipient did with a message.
type EngagementKind string

const (
	EngagementOpen  EngagementKind = "opened"
	EngagementClick EngagementKind = "clicked"
)

// Engagement is one open or click, as the tracking endpoints saw it.
type Engagement struct {
	UID       string
	Kind      EngagementKind
	URL       string // clicks: the link
	At        time.Time
	UserAgent string
	ClientIP  string
	// Prefetch: a request no person makes (a HEAD request, a link checker).
	Prefetch bool
}

// machineAgents are parts of the user agents of privacy proxies, security
// scanners and link checkers that open or click every message they see.
var machineAgents = []string{"bot", "crawl", "spider", "preview", "scanner", "proofpoint", "mimecast", "barracuda", "symantec",
	"messagelabs", "forcepoint", "trendmicro", "fireeye", "safelinks", "urldefense", "linkchecker", "curl", "wget",
	"python-requests", "go-http-client", "java/", "okhttp", "headless"}

// machineAgent reports a user agent of a machine, remembering answers in
// seen: a batch holds few distinct agents.
func machineAgent(ua string, seen map[string]bool) bool {
	if v, ok := seen[ua]; ok {
		return v
	}
	lower := strings.ToLower(ua)
	v := strings.TrimSpace(ua) == ""
	for _, part := range machineAgents {
		if v = v || strings.Contains(lower, part); v {
			break
		}
	}
	seen[ua] = v
	return v
}

// Machine delay: opens and clicks within these times of delivery come from
// scanners that fetch every message as it arrives, not from people.
const (
	machineOpenDelay  = 2 * time.Second
	machineClickDelay = 10 * time.Second
)

// isMachine tells a privacy proxy or link scanner from a person.
func isMachine(e Engagement, deliveredAt *time.Time, agents map[string]bool) bool {
	if e.Prefetch || machineAgent(e.UserAgent, agents) {
		return true
	}
	if deliveredAt == nil {
		return false
	}
	delay := machineOpenDelay
	if e.Kind == EngagementClick {
		delay = machineClickDelay
	}
	return e.At.Sub(*deliveredAt) < delay
}

// RecordEngagement writes a batch of opens and clicks in one transaction:
// every event is kept (machine ones flagged), the first human open and
// click of each message are marked on it, and those first ones are what the
// rollup counts, with clicks per link. Events for unknown messages are
// dropped.
func (s *Tracking) RecordEngagement(ctx context.Context, events []Engagement) error {
	if len(events) == 0 {
		return nil
	}
	uids := make([]string, 0, len(events))
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.UID] {
			seen[e.UID] = true
			uids = append(uids, e.UID)
		}
	}
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		byUID := map[string]*queue.Message{}
		for start := 0; start < len(uids); start += 500 {
			var msgs []queue.Message
			q := tx.Where("uid IN ?", uids[start:min(start+500, len(uids))])
			if s.Dialect() == db.Postgres {
				q = q.Clauses(clause.Locking{Strength: "UPDATE"})
			}
			if err := q.Find(&msgs).Error; err != nil {
				return err
			}
			for i := range msgs {
				byUID[msgs[i].UID] = &msgs[i]
			}
		}
		rows := make([]queue.MessageEvent, 0, len(events))
		stats := queue.StatsBatch{}
		links := map[LinkKey]int64{}
		var firstOpens, firstClicks []uint64
		agents := map[string]bool{}
		for _, e := range events {
			m := byUID[e.UID]
			if m == nil {
				continue
			}
			machine := isMachine(e, m.DeliveredAt, agents)
			rows = append(rows, queue.MessageEvent{MessageID: m.ID, Type: string(e.Kind), At: e.At, URL: models.Truncate(e.URL, 2000),
				UserAgent: models.Truncate(e.UserAgent, 500), ClientIP: models.Truncate(e.ClientIP, 45), Machine: machine})
			if machine {
				continue
			}
			at := e.At
			switch e.Kind {
			case EngagementOpen:
				if m.OpenedAt == nil {
					m.OpenedAt = &at
					firstOpens = append(firstOpens, m.ID)
					stats.Add(at, m, queue.StatOpened)
				}
			case EngagementClick:
				if m.ClickedAt == nil {
					m.ClickedAt = &at
					firstClicks = append(firstClicks, m.ID)
					stats.Add(at, m, queue.StatClicked)
				}
				var task uint64
				if m.TaskID != nil {
					task = *m.TaskID
				}
				links[LinkKey{Day: s.Day(at), DomainID: m.DomainID, TaskID: task, Url: models.Truncate(e.URL, 2000)}]++
			}
		}
		if err := s.queue.InsertEvents(tx, rows); err != nil {
			return err
		}
		now := s.Now()
		var created db.Span
		for _, m := range byUID {
			created.Add(m.CreatedAt)
		}
		within, days := s.Within("created_at", created)
		if len(firstOpens) > 0 {
			if err := tx.Model(&queue.Message{}).Where("id IN ? AND opened_at IS NULL"+within, append([]any{firstOpens}, days...)...).Update("opened_at", now).Error; err != nil {
				return err
			}
		}
		if len(firstClicks) > 0 {
			if err := tx.Model(&queue.Message{}).Where("id IN ? AND clicked_at IS NULL"+within, append([]any{firstClicks}, days...)...).Update("clicked_at", now).Error; err != nil {
				return err
			}
		}
		if err := WriteLinkClicks(tx, links); err != nil {
			return err
		}
		return stats.Write(tx)
	})
}

type LinkKey struct {
	Day      string
	DomainID uint64
	TaskID   uint64
	Url      string
}

type linkClicks struct {
	Day      string
	DomainID uint64
	TaskID   uint64
	URL      string `gorm:"column:url"`
	Clicks   int64
}

func (linkClicks) TableName() string { return "stats_links" }

func WriteLinkClicks(tx *gorm.DB, links map[LinkKey]int64) error {
	if len(links) == 0 {
		return nil
	}
	rows := make([]linkClicks, 0, len(links))
	for k, n := range links {
		rows = append(rows, linkClicks{Day: k.Day, DomainID: k.DomainID, TaskID: k.TaskID, URL: k.Url, Clicks: n})
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "day"}, {Name: "domain_id"}, {Name: "task_id"}, {Name: "url"}},
		DoUpdates: clause.Assignments(map[string]any{"clicks": gorm.Expr("stats_links.clicks + excluded.clicks")}),
	}).Create(&rows).Error
}

// Unsubscribe applies an unsubscribe from a message's link: the recipient is
// suppressed for the sender domain the message came from. A replay changes
// nothing; the result says whether this one did.
func (s *Tracking) Unsubscribe(ctx context.Context, uid, via string) (bool, error) {
	changed := false
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m queue.Message
		if err := tx.Where("uid = ?", uid).Take(&m).Error; err != nil {
			return db.NotFound(err)
		}
		if m.UnsubscribedAt != nil {
			return nil
		}
		var d identity.Domain
		if err := tx.Select("id", "name").Take(&d, m.DomainID).Error; err != nil {
			return err
		}
		now := s.Now()
		res := tx.Model(&queue.Message{}).Where("id = ? AND unsubscribed_at IS NULL", m.ID).Update("unsubscribed_at", now)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		changed = true
		if err := tx.Create(&queue.MessageEvent{MessageID: m.ID, Type: "unsubscribed", At: now, Detail: via}).Error; err != nil {
			return err
		}
		if _, _, err := audience.AddSuppression(tx, audience.SuppressionInput{Value: m.Recipient, Reason: audience.ReasonUnsubscribe, ScopeDomain: d.Name,
			Source: "unsubscribe link of message " + m.UID}, now); err != nil {
			return err
		}
		stats := queue.StatsBatch{}
		stats.Add(now, &m, queue.StatUnsubscribed)
		return stats.Write(tx)
	})
	return changed, err
}
