package models

import (
	"context"
	"strings"
	"time"

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
func (s *Store) RecordEngagement(ctx context.Context, events []Engagement) error {
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
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		byUID := map[string]*Message{}
		for start := 0; start < len(uids); start += 500 {
			var msgs []Message
			q := tx.Where("uid IN ?", uids[start:min(start+500, len(uids))])
			if s.dialect == Postgres {
				q = q.Clauses(clause.Locking{Strength: "UPDATE"})
			}
			if err := q.Find(&msgs).Error; err != nil {
				return err
			}
			for i := range msgs {
				byUID[msgs[i].UID] = &msgs[i]
			}
		}
		rows := make([]MessageEvent, 0, len(events))
		stats := statsBatch{}
		links := map[linkKey]int64{}
		var firstOpens, firstClicks []uint64
		agents := map[string]bool{}
		for _, e := range events {
			m := byUID[e.UID]
			if m == nil {
				continue
			}
			machine := isMachine(e, m.DeliveredAt, agents)
			rows = append(rows, MessageEvent{MessageID: m.ID, Type: string(e.Kind), At: e.At, URL: truncate(e.URL, 2000),
				UserAgent: truncate(e.UserAgent, 500), ClientIP: truncate(e.ClientIP, 45), Machine: machine})
			if machine {
				continue
			}
			at := e.At
			switch e.Kind {
			case EngagementOpen:
				if m.OpenedAt == nil {
					m.OpenedAt = &at
					firstOpens = append(firstOpens, m.ID)
					stats.add(at, m, statOpened)
				}
			case EngagementClick:
				if m.ClickedAt == nil {
					m.ClickedAt = &at
					firstClicks = append(firstClicks, m.ID)
					stats.add(at, m, statClicked)
				}
				var task uint64
				if m.TaskID != nil {
					task = *m.TaskID
				}
				links[linkKey{day: s.day(at), domainID: m.DomainID, taskID: task, url: truncate(e.URL, 2000)}]++
			}
		}
		if err := s.insertEvents(tx, rows); err != nil {
			return err
		}
		now := s.now()
		if len(firstOpens) > 0 {
			if err := tx.Model(&Message{}).Where("id IN ? AND opened_at IS NULL", firstOpens).Update("opened_at", now).Error; err != nil {
				return err
			}
		}
		if len(firstClicks) > 0 {
			if err := tx.Model(&Message{}).Where("id IN ? AND clicked_at IS NULL", firstClicks).Update("clicked_at", now).Error; err != nil {
				return err
			}
		}
		if err := writeLinkClicks(tx, links); err != nil {
			return err
		}
		return stats.write(tx)
	})
}

type linkKey struct {
	day      string
	domainID uint64
	taskID   uint64
	url      string
}

type linkClicks struct {
	Day      string
	DomainID uint64
	TaskID   uint64
	URL      string `gorm:"column:url"`
	Clicks   int64
}

func (linkClicks) TableName() string { return "stats_links" }

func writeLinkClicks(tx *gorm.DB, links map[linkKey]int64) error {
	if len(links) == 0 {
		return nil
	}
	rows := make([]linkClicks, 0, len(links))
	for k, n := range links {
		rows = append(rows, linkClicks{Day: k.day, DomainID: k.domainID, TaskID: k.taskID, URL: k.url, Clicks: n})
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "day"}, {Name: "domain_id"}, {Name: "task_id"}, {Name: "url"}},
		DoUpdates: clause.Assignments(map[string]any{"clicks": gorm.Expr("stats_links.clicks + excluded.clicks")}),
	}).Create(&rows).Error
}

// Unsubscribe applies an unsubscribe from a message's link: the recipient is
// suppressed for the sender domain the message came from. A replay changes
// nothing; the result says whether this one did.
func (s *Store) Unsubscribe(ctx context.Context, uid, via string) (bool, error) {
	changed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m Message
		if err := tx.Where("uid = ?", uid).Take(&m).Error; err != nil {
			return notFound(err)
		}
		if m.UnsubscribedAt != nil {
			return nil
		}
		var d Domain
		if err := tx.Select("id", "name").Take(&d, m.DomainID).Error; err != nil {
			return err
		}
		now := s.now()
		res := tx.Model(&Message{}).Where("id = ? AND unsubscribed_at IS NULL", m.ID).Update("unsubscribed_at", now)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		changed = true
		if err := tx.Create(&MessageEvent{MessageID: m.ID, Type: "unsubscribed", At: now, Detail: via}).Error; err != nil {
			return err
		}
		if _, _, err := addSuppression(tx, SuppressionInput{Value: m.Recipient, Reason: ReasonUnsubscribe, ScopeDomain: d.Name,
			Source: "unsubscribe link of message " + m.UID}, now); err != nil {
			return err
		}
		stats := statsBatch{}
		stats.add(now, &m, statUnsubscribed)
		return stats.write(tx)
	})
	return changed, err
}
