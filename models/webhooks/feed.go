package webhooks

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/queue"
	"gorm.io/gorm"
)

// Position is a place in the feed of message events: the writing
// transaction's id (PostgreSQL; 0 on SQLite) and the event's id. Events
// are read in this order, after an endpoint's cursor and up to the head.
type Position struct {
	Txid int64
	ID   int64
}

// horizon is the head of the feed: everything at or before it is written
// for good, and whatever is written later comes after it. On PostgreSQL,
// the transactions older than the oldest one still running; on SQLite,
// whose one writer commits ids in order, the last event.
func (s *Store) horizon(tx *gorm.DB) (Position, error) {
	var p Position
	if s.Dialect() == db.Postgres {
		var xmin int64
		err := tx.Raw("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint").Scan(&xmin).Error
		return Position{Txid: xmin - 1, ID: math.MaxInt64}, err
	}
	err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM message_events").Scan(&p.ID).Error
	return p, err
}

// FeedEvent is a message event with what a callback says about its
// message.
type FeedEvent struct {
	Position
	Type      string // as message_events records it
	At        time.Time
	Detail    string
	URL       string `gorm:"column:url"`
	UserAgent string
	Message   queue.Message `gorm:"embedded;embeddedPrefix:m_"`
}

// EventID is the stable id of the event, X-Sesame-Event-Id.
func (e *FeedEvent) EventID() string { return "evt_" + strconv.FormatInt(e.ID, 10) }

// feedColumns are what a feed read selects, into FeedEvent.
const feedColumns = "e.id, e.type, e.at, e.detail, e.url, e.user_agent, " +
	"m.id AS m_id, m.uid AS m_uid, m.recipient AS m_recipient, m.from_email AS m_from_email, m.domain_id AS m_domain_id, " +
	"m.task_id AS m_task_id, m.run_id AS m_run_id, m.content_id AS m_content_id, m.variables AS m_variables, m.created_at AS m_created_at"

// ReadFeed returns up to limit of the events ep wants after its cursor,
// oldest first, and the position to read from next: the last event
// returned, or the head of the feed when fewer were found. An address with
// endpoints of its own is heard by those only; the account's endpoints
// hear every other address. Opens and clicks of machines are left out.
func (s *Store) ReadFeed(ctx context.Context, ep *Endpoint, limit int) ([]FeedEvent, Position, error) {
	var types []string
	for _, e := range ep.Events() {
		types = append(types, recordedAs[e]...)
	}
	from := Position{Txid: ep.CursorTxid, ID: ep.CursorID}
	var (
		out  []FeedEvent
		head Position
	)
	// No transaction: on SQLite it would take the write lock from
	// delivery, and none is needed: whatever the horizon covers was
	// committed before it was read, so the next statement sees it.
	err := func(tx *gorm.DB) error {
		var err error
		if head, err = s.horizon(tx); err != nil {
			return err
		}
		q := tx.Table("message_events AS e").Select(feedColumns).Joins("JOIN messages m ON m.id = e.message_id").
			Where("e.type IN ? AND e.machine = ?", types, false)
		if s.Dialect() == db.Postgres {
			q = q.Select(feedColumns+", e.txid").Where("(e.txid, e.id) > (?, ?) AND (e.txid, e.id) <= (?, ?)", from.Txid, from.ID, head.Txid, head.ID).
				Order("e.txid, e.id")
		} else {
			q = q.Where("e.id > ? AND e.id <= ?", from.ID, head.ID).Order("e.id")
		}
		if ep.SenderEmail != "" {
			q = q.Where("m.from_email = ?", ep.SenderEmail)
		} else {
			q = q.Where("m.from_email NOT IN (SELECT sender_email FROM webhook_endpoints WHERE sender_email <> '')")
		}
		return q.Limit(limit).Scan(&out).Error
	}(s.Gorm.WithContext(ctx))
	if err != nil {
		return nil, from, err
	}
	if len(out) == limit {
		head = out[len(out)-1].Position
	}
	return out, head, nil
}
