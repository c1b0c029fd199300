package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"gorm.io/gorm"
)

// Addressee is one recipient of a send request with its template variables.
type Addressee struct {
	Email     string
	Variables map[string]string
}

// EnqueueRequest is a send request: one content, many recipients.
type EnqueueRequest struct {
	Sender        *identity.SenderAddress // with its Domain loaded
	Content       MessageContent
	To            []Addressee
	TaskID        *uint64
	RunID         *uint64
	Transactional bool // not counted by warm-up, and sent first
	// FromName replaces the sender address's display name in From.
	FromName string
	// Guard, when set, runs first in the transaction that stores the
	// request.
	Guard Guard
}

// Guard is db.Guard, named here for the packages outside the models,
// which import no database package, that pass one along (handlers/api).
type Guard = db.Guard

// ErrDomainNotVerified is a send from a domain that may not send yet.
var ErrDomainNotVerified = errors.New("the sender's domain is not verified")

// Enqueue stores a send request durably: its content and one queued message
// per recipient, in one transaction, before anyone is told it was accepted.
// A content without an unsubscribe choice takes the sender address's
// default.
//
// Requests that arrive while another commit is under way are committed
// together, in one transaction, as soon as it ends (db.GroupCommit): every
// caller still returns only once its own request is durable.
func (s *Queue) Enqueue(ctx context.Context, req EnqueueRequest) ([]Message, error) {
	p, err := s.prepareEnqueue(req, s.Now())
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(p.msgs) > maxGroupedRecipients {
		// A big request would hold up the small ones grouped with it, so
		// it commits alone, beside the groups.
		err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return s.writeEnqueued(tx, []*preparedEnqueue{p})
		})
	} else {
		err = s.enqueues.Do(ctx, p)
	}
	if err == nil {
		err = p.refused
	}
	if err != nil {
		return nil, err
	}
	return p.msgs, nil
}

// preparedEnqueue is a checked send request: the rows Enqueue inserts for
// it.
type preparedEnqueue struct {
	content MessageContent
	msgs    []Message
	guard   Guard
	refused error // by its guard: nothing of it was written
}

// prepareEnqueue checks a request and builds its rows.
func (s *Queue) prepareEnqueue(req EnqueueRequest, now time.Time) (*preparedEnqueue, error) {
	if req.Sender == nil || req.Sender.Domain == nil {
		return nil, errors.New("enqueue: sender with domain required")
	}
	if !s.domains.CanSend(req.Sender.Domain) {
		return nil, ErrDomainNotVerified
	}
	if len(req.To) == 0 {
		return nil, models.Invalid("to", "Give at least one recipient.")
	}
	fromName := req.Sender.DisplayName
	if req.FromName != "" {
		fromName = req.FromName
	}
	verr := &models.ValidationError{}
	msgs := make([]Message, 0, len(req.To))
	for _, to := range req.To {
		email, err := models.NormalizeEmail(to.Email)
		if err != nil {
			verr.Add("to", to.Email+" "+err.Error()+".")
			continue
		}
		domain := models.DomainOf(email)
		msgs = append(msgs, Message{
			UID: NewMessageUID(), Variables: models.EncodeVariables(to.Variables), DomainID: req.Sender.DomainID,
			FromEmail: req.Sender.Email, FromName: fromName,
			Recipient: email, RecipientDomain: domain, Provider: Provider(domain),
			TaskID: req.TaskID, RunID: req.RunID, Transactional: req.Transactional,
			Status: models.StatusQueued, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		})
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	p := &preparedEnqueue{content: req.Content, msgs: msgs, guard: req.Guard}
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

// writeEnqueued writes checked requests inside tx: their guards first (a
// request its guard refuses is left out, its refusal noted in it), then
// their contents, every message, and the rollup's requested counts. Rows
// go in multi-row INSERTs of the columns that matter, straight to the
// connection: the SQLite driver prepares every statement afresh, and
// preparing is what costs, so the fewer statements the better.
func (s *Queue) writeEnqueued(tx *gorm.DB, batch []*preparedEnqueue) error {
	kept := make([]*preparedEnqueue, 0, len(batch))
	for _, p := range batch {
		p.refused = nil // a group that failed and is retried alone
		if p.guard != nil {
			var refusal *db.Refusal
			if err := p.guard(tx); errors.As(err, &refusal) {
				p.refused = refusal.Err
				continue
			} else if err != nil {
				return err
			}
		}
		kept = append(kept, p)
	}
	if batch = kept; len(batch) == 0 {
		return nil
	}
	held := map[uint64]bool{}
	for _, p := range batch {
		if d := p.msgs[0].DomainID; !held[d] {
			if err := s.domains.HoldDomain(tx, d); err != nil {
				return err
			}
			held[d] = true
		}
	}
	contents := make([][]any, len(batch))
	n := 0
	for i, p := range batch {
		c := &p.content
		contents[i] = []any{c.Subject, c.HTML, c.Text, c.Raw, c.HeaderTo, c.HeaderCc, c.ReplyTo, c.ExtraHeaders,
			c.Attachments, c.Unsubscribe, c.TemplateID, c.VariableDefaults, c.TrackOpens, c.TrackClicks, c.CreatedAt}
		n += len(p.msgs)
	}
	ids, err := s.insertRowsReturningIDs(tx, "message_contents", contentInsertColumns, contents)
	if err != nil {
		return err
	}
	stats := StatsBatch{}
	rows := make([][]any, 0, n)
	for i, p := range batch {
		p.content.ID = ids[i]
		for j := range p.msgs {
			m := &p.msgs[j]
			m.ContentID = ids[i]
			rows = append(rows, []any{m.UID, m.ContentID, m.Variables, m.DomainID, m.FromEmail, m.FromName, m.Recipient,
				m.RecipientDomain, m.Provider, m.TaskID, m.RunID, m.Transactional, m.Status, m.NextAttemptAt, m.CreatedAt, m.UpdatedAt})
			stats.Add(m.CreatedAt, m, statRequested)
		}
	}
	if ids, err = s.insertRowsReturningIDs(tx, "messages", messageInsertColumns, rows); err != nil {
		return err
	}
	k := 0
	for _, p := range batch {
		for j := range p.msgs {
			p.msgs[j].ID = ids[k]
			k++
		}
	}
	return stats.Write(tx)
}

// insertRowsReturningIDs inserts rows with multi-row INSERTs on the
// transaction's connection, in the driver's own placeholders, and returns
// their ids in order: from RETURNING on PostgreSQL; on SQLite, where the
// one writer gives the rows of a statement consecutive ids, counted back
// from the last.
func (s *Queue) insertRowsReturningIDs(tx *gorm.DB, table string, columns []string, rows [][]any) ([]uint64, error) {
	ctx, pool := tx.Statement.Context, tx.Statement.ConnPool
	chunk := s.RowsPerStatement(len(columns))
	ids := make([]uint64, 0, len(rows))
	// On SQLite, OR FAIL spares each multi-row statement a statement
	// journal (kept to undo the statement's own rows when a later row fails,
	// and costly to allocate and free): a failure fails the whole
	// transaction here anyway, and it is rolled back.
	verb := "INSERT INTO "
	if s.Dialect() == db.SQLite {
		verb = "INSERT OR FAIL INTO "
	}
	head := verb + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		query, args := db.MultiRowInsert(head, part, s.Dialect() == db.Postgres)
		if s.Dialect() == db.Postgres {
			got, err := queryIDs(ctx, pool, query+" RETURNING id", args)
			if err != nil {
				return nil, err
			}
			if len(got) != len(part) {
				return nil, fmt.Errorf("insert into %s: %d ids for %d rows", table, len(got), len(part))
			}
			ids = append(ids, got...)
			continue
		}
		res, err := pool.ExecContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		last, err := res.LastInsertId()
		if err != nil {
			return nil, err
		}
		for i := range part {
			ids = append(ids, uint64(last)-uint64(len(part)-1-i))
		}
	}
	return ids, nil
}

func queryIDs(ctx context.Context, pool gorm.ConnPool, query string, args []any) ([]uint64, error) {
	rs, err := pool.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var ids []uint64
	for rs.Next() {
		var id uint64
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rs.Err()
}

// size is roughly what the request's content weighs in a transaction.
func (r *preparedEnqueue) size() int {
	c := &r.content
	return len(c.Raw) + len(c.HTML) + len(c.Text) + len(c.Attachments)
}

// Group commit limits: requests and content bytes in one transaction, and
// the recipients of a request that may join a group.
const (
	maxGroupedRecipients = 100
	maxGroupRequests     = 64
	maxGroupBytes        = 32 << 20
)

// newEnqueues gathers concurrent Enqueue calls into shared commits.
func (s *Queue) newEnqueues() *db.GroupCommit[*preparedEnqueue] {
	return &db.GroupCommit[*preparedEnqueue]{Gorm: s.Gorm, Write: s.writeEnqueued,
		MaxItems: maxGroupRequests, Weight: (*preparedEnqueue).size, MaxWeight: maxGroupBytes}
}
