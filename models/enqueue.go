package models

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Addressee is one recipient of a send request with its template variables.
type Addressee struct {
	Email     string
	Variables map[string]string
}

// EnqueueRequest is a send request: one content, many recipients.
type EnqueueRequest struct {
	Sender        *SenderAddress // with its Domain loaded
	Content       MessageContent
	To            []Addressee
	TaskID        *uint64
	RunID         *uint64
	Transactional bool // not counted by warm-up, and sent first
	// FromName replaces the sender address's display name in From.
	FromName string
}

// ErrDomainNotVerified is a send from a domain that may not send yet.
var ErrDomainNotVerified = errors.New("the sender's domain is not verified")

// Enqueue stores a send request durably: its content and one queued message
// per recipient, in one transaction, before anyone is told it was accepted.
// A content without an unsubscribe choice takes the sender address's
// default.
func (s *Store) Enqueue(ctx context.Context, req EnqueueRequest) ([]Message, error) {
	p, err := s.prepareEnqueue(req, s.now())
	if err != nil {
		return nil, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.writeEnqueued(tx, []*preparedEnqueue{p})
	})
	if err != nil {
		return nil, err
	}
	return p.msgs, nil
}

// preparedEnqueue is a checked send request, ready to be written.
type preparedEnqueue struct {
	content MessageContent
	msgs    []Message
}

// prepareEnqueue checks a request and builds its rows.
func (s *Store) prepareEnqueue(req EnqueueRequest, now time.Time) (*preparedEnqueue, error) {
	if req.Sender == nil || req.Sender.Domain == nil {
		return nil, errors.New("enqueue: sender with domain required")
	}
	if !req.Sender.Domain.Verified() {
		return nil, ErrDomainNotVerified
	}
	if len(req.To) == 0 {
		return nil, Invalid("to", "Give at least one recipient.")
	}
	fromName := req.Sender.DisplayName
	if req.FromName != "" {
		fromName = req.FromName
	}
	verr := &ValidationError{}
	msgs := make([]Message, 0, len(req.To))
	for _, to := range req.To {
		email, err := NormalizeEmail(to.Email)
		if err != nil {
			verr.Add("to", to.Email+" "+err.Error()+".")
			continue
		}
		domain := email[strings.LastIndexByte(email, '@')+1:]
		msgs = append(msgs, Message{
			UID: NewMessageUID(), Variables: EncodeVariables(to.Variables), DomainID: req.Sender.DomainID,
			FromEmail: req.Sender.Email, FromName: fromName,
			Recipient: email, RecipientDomain: domain, Provider: Provider(domain),
			TaskID: req.TaskID, RunID: req.RunID, Transactional: req.Transactional,
			Status: StatusQueued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		})
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	p := &preparedEnqueue{content: req.Content, msgs: msgs}
	p.content.CreatedAt = now
	if p.content.Unsubscribe == "" && p.content.Raw == nil {
		p.content.Unsubscribe = req.Sender.DefaultUnsubscribe()
	}
	return p, nil
}

// Columns written for a queued request; the others keep their defaults.
var (
	contentInsertColumns = []string{"subject", "html", "text_part", "raw", "header_to", "header_cc", "reply_to", "extra_headers",
		"attachments", "unsubscribe", "template_id", "variable_defaults", "track_opens", "track_clicks", "created_at"}
	messageInsertColumns = []string{"uid", "content_id", "variables", "domain_id", "from_email", "from_name", "recipient",
		"recipient_domain", "provider", "task_id", "run_id", "transactional", "status", "next_attempt_at", "created_at", "updated_at"}
)

// writeEnqueued writes checked requests inside tx: their contents, every
// message, then the rollup's requested counts. Rows go one by one through
// single-row INSERTs of the columns that matter: the SQLite driver prepares
// every statement afresh, and a single-row INSERT is the cheapest to
// prepare and needs no statement journal, which makes this several times
// faster per row than multi-row statements there.
func (s *Store) writeEnqueued(tx *gorm.DB, batch []*preparedEnqueue) error {
	ctx := tx.Statement.Context
	pool := tx.Statement.ConnPool
	contentSQL := s.insertOneSQL("message_contents", contentInsertColumns)
	messageSQL := s.insertOneSQL("messages", messageInsertColumns)
	stats := statsBatch{}
	var err error
	for _, p := range batch {
		c := &p.content
		c.ID, err = s.insertOne(ctx, pool, contentSQL, c.Subject, c.HTML, c.Text, c.Raw, c.HeaderTo, c.HeaderCc, c.ReplyTo, c.ExtraHeaders,
			c.Attachments, c.Unsubscribe, c.TemplateID, c.VariableDefaults, c.TrackOpens, c.TrackClicks, c.CreatedAt)
		if err != nil {
			return err
		}
		for i := range p.msgs {
			m := &p.msgs[i]
			m.ContentID = c.ID
			m.ID, err = s.insertOne(ctx, pool, messageSQL, m.UID, m.ContentID, m.Variables, m.DomainID, m.FromEmail, m.FromName, m.Recipient,
				m.RecipientDomain, m.Provider, m.TaskID, m.RunID, m.Transactional, m.Status, m.NextAttemptAt, m.CreatedAt, m.UpdatedAt)
			if err != nil {
				return err
			}
			stats.add(m.CreatedAt, m, statRequested)
		}
	}
	return stats.write(tx)
}

// insertOneSQL is a single-row INSERT of columns in the driver's own
// placeholders, returning the new id on PostgreSQL (SQLite reports it as
// the last insert id).
func (s *Store) insertOneSQL(table string, columns []string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES (")
	for i := range columns {
		if i > 0 {
			b.WriteString(", ")
		}
		if s.dialect == Postgres {
			b.WriteString("$" + strconv.Itoa(i+1))
		} else {
			b.WriteByte('?')
		}
	}
	b.WriteByte(')')
	if s.dialect == Postgres {
		b.WriteString(" RETURNING id")
	}
	return b.String()
}

// insertOne runs a single-row INSERT on the transaction's connection and
// returns the row's id.
func (s *Store) insertOne(ctx context.Context, pool gorm.ConnPool, query string, args ...any) (uint64, error) {
	if s.dialect == Postgres {
		var id uint64
		err := pool.QueryRowContext(ctx, query, args...).Scan(&id)
		return id, err
	}
	res, err := pool.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	return uint64(id), err
}
