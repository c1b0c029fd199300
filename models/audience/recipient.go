package audience

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// Recipient is one address of a group with its template variables.
type Recipient struct {
	ID        uint64
	GroupID   uint64
	Email     string
	Variables string // JSON object of flat strings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Vars decodes the recipient's variables.
func (r *Recipient) Vars() map[string]string {
	vars, _ := models.ParseVariables(r.Variables)
	return vars
}

// NormalizeRecipientEmail checks an address for a recipient list and returns
// it lowercased (lists deduplicate and match suppressions without regard to
// case, as every large mailbox provider does), or the row problem.
func NormalizeRecipientEmail(raw string) (string, RowProblem) {
	return normalizeRecipientEmail(raw, models.NormalizeDomain)
}

func normalizeRecipientEmail(raw string, normalizeDomain func(string) (string, error)) (string, RowProblem) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", ProblemEmpty
	case len(s) > models.MaxEmailLength:
		return "", ProblemTooLong
	}
	email, err := models.NormalizeEmailWith(s, normalizeDomain)
	switch {
	case err == models.ErrEmailTooLong:
		return "", ProblemTooLong
	case err != nil:
		return "", ProblemBadAddress
	case !strings.Contains(models.DomainOf(email), "."):
		// A bare host name (user@localhost) is not deliverable from outside.
		return "", ProblemBadAddress
	}
	return strings.ToLower(email), ProblemNone
}

// RecipientInput is one recipient to add: an address and its variables.
type RecipientInput struct {
	Email     string
	Variables map[string]string
}

// RecipientProblem is a refused input row, numbered from 1.
type RecipientProblem struct {
	Line   int
	Email  string
	Reason RowProblem
}

// AddReport counts what AddRecipients did with its input, in the terms of
// Tencent's CreateReceiverDetail answer plus the insert/update split.
type AddReport struct {
	Total      int // rows given
	Valid      int // rows with a good address (duplicates included)
	Inserted   int // new recipients
	Updated    int // existing recipients whose variables changed
	Unchanged  int // existing recipients given again as they were
	Duplicates int // repeats of an address earlier in the same input
	Empty      int
	TooLong    int
	Invalid    int // bad address or bad variables
	Problems   []RecipientProblem
}

// maxVariablesBytes caps the stored variables of one recipient.
const maxVariablesBytes = MaxCSVRecordBytes

// AddRecipients validates and upserts recipients into a group in one
// transaction: new addresses are inserted, known ones get the new
// variables, and a later repeat of an address within the input wins.
func (s *Audience) AddRecipients(ctx context.Context, groupID uint64, in []RecipientInput) (*AddReport, error) {
	rep, rows, names := prepareRecipients(in)
	if len(rows) == 0 {
		return rep, nil
	}
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.addRecipientRows(tx, groupID, rep, rows, names)
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// prepareRecipients checks input rows: the report so far, the distinct
// valid rows and the variable names they carry.
func prepareRecipients(in []RecipientInput) (*AddReport, []recipientRow, []string) {
	rep := &AddReport{Total: len(in)}
	rows := make([]recipientRow, 0, len(in))
	index := map[string]int{}
	var names []string
	seenName := map[string]bool{}
	for i, r := range in {
		email, problem := NormalizeRecipientEmail(r.Email)
		vars := models.EncodeVariables(r.Variables)
		if problem == ProblemNone {
			for k := range r.Variables {
				if !models.ValidVariableName(k) {
					problem = ProblemBadData
				}
			}
			if len(vars) > maxVariablesBytes {
				problem = ProblemTooLong
			}
		}
		switch problem {
		case ProblemNone:
		case ProblemEmpty:
			rep.Empty++
		case ProblemTooLong:
			rep.TooLong++
		default:
			rep.Invalid++
		}
		if problem != ProblemNone {
			rep.Problems = append(rep.Problems, RecipientProblem{Line: i + 1, Email: models.TruncateRunes(r.Email, 100), Reason: problem})
			continue
		}
		rep.Valid++
		for _, k := range sortedKeys(r.Variables) {
			if !seenName[k] {
				seenName[k] = true
				names = append(names, k)
			}
		}
		if at, dup := index[email]; dup {
			rep.Duplicates++
			rows[at].Variables = vars
			continue
		}
		index[email] = len(rows)
		rows = append(rows, recipientRow{Email: email, Variables: vars})
	}
	return rep, rows, names
}

// addRecipientRows upserts checked rows inside tx and completes rep.
func (s *Audience) addRecipientRows(tx *gorm.DB, groupID uint64, rep *AddReport, rows []recipientRow, names []string) error {
	if err := s.holdGroup(tx, groupID); err != nil {
		return err
	}
	now := s.Now()
	ins, upd, err := s.upsertRecipients(tx, groupID, rows, now)
	if err != nil {
		return err
	}
	rep.Inserted, rep.Updated = int(ins), int(upd)
	rep.Unchanged = len(rows) - rep.Inserted - rep.Updated
	if err := mergeVariableNames(tx, groupID, names, now); err != nil {
		return err
	}
	return tx.Exec("UPDATE recipient_groups SET recipient_count = recipient_count + ?, updated_at = ? WHERE id = ?", ins, now, groupID).Error
}

// domainCache remembers converted domains during an import, where a few
// mail providers' domains make up most rows and IDNA conversion is the
// costliest step of checking an address. It forgets everything when full.
type domainCache map[string]domainResult

type domainResult struct {
	ascii string
	err   error
}

const domainCacheSize = 10_000

func (c domainCache) normalize(d string) (string, error) {
	if r, ok := c[d]; ok {
		return r.ascii, r.err
	}
	if len(c) >= domainCacheSize {
		clear(c)
	}
	ascii, err := models.NormalizeDomain(d)
	c[d] = domainResult{ascii, err}
	return ascii, err
}

// recipientRow is a validated recipient ready to be written.
type recipientRow struct {
	Email     string
	Variables string
}

// upsertChunk keeps a multi-row INSERT under both databases' limits on
// bound parameters.
const upsertChunk = 500

// upsertRecipients writes rows (distinct addresses) with multi-row INSERT …
// ON CONFLICT statements inside tx and says how many were inserted and how
// many updated; rows whose variables did not change are not touched.
func (s *Audience) upsertRecipients(tx *gorm.DB, groupID uint64, rows []recipientRow, now time.Time) (inserted, updated int64, err error) {
	var firstNew uint64
	if s.Dialect() == db.SQLite {
		// SQLite has one writer, so ids above the current maximum are
		// exactly the rows this transaction inserts.
		if err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM recipients").Scan(&firstNew).Error; err != nil {
			return 0, 0, err
		}
	}
	var sql strings.Builder
	args := make([]any, 0, upsertChunk*5)
	for start := 0; start < len(rows); start += upsertChunk {
		chunk := rows[start:min(start+upsertChunk, len(rows))]
		sql.Reset()
		args = args[:0]
		if s.Dialect() == db.Postgres {
			sql.WriteString("WITH up AS (")
		}
		sql.WriteString("INSERT INTO recipients (group_id, email, variables, created_at, updated_at) VALUES ")
		for i, r := range chunk {
			if i > 0 {
				sql.WriteByte(',')
			}
			sql.WriteString("(?,?,?,?,?)")
			args = append(args, groupID, r.Email, r.Variables, now, now)
		}
		sql.WriteString(" ON CONFLICT (group_id, email) DO UPDATE SET variables = excluded.variables, updated_at = excluded.updated_at" +
			" WHERE recipients.variables <> excluded.variables")
		if s.Dialect() == db.Postgres {
			// xmax is zero exactly for rows this statement inserted.
			sql.WriteString(" RETURNING (xmax = 0) AS inserted) SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted) FROM up")
			var counts struct{ Ins, Upd int64 }
			if err := tx.Raw(sql.String(), args...).Row().Scan(&counts.Ins, &counts.Upd); err != nil {
				return 0, 0, err
			}
			inserted += counts.Ins
			updated += counts.Upd
			continue
		}
		res := tx.Exec(sql.String(), args...)
		if res.Error != nil {
			return 0, 0, res.Error
		}
		updated += res.RowsAffected
	}
	if s.Dialect() == db.SQLite {
		if err := tx.Raw("SELECT COUNT(*) FROM recipients WHERE id > ?", firstNew).Scan(&inserted).Error; err != nil {
			return 0, 0, err
		}
		updated -= inserted
	}
	return inserted, updated, nil
}

// DeleteRecipient removes one address from a group.
func (s *Audience) DeleteRecipient(ctx context.Context, groupID uint64, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("group_id = ? AND email = ?", groupID, email).Delete(&Recipient{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		return tx.Exec("UPDATE recipient_groups SET recipient_count = recipient_count - 1, updated_at = ? WHERE id = ?", s.Now(), groupID).Error
	})
}

// RecipientQuery selects a page of a group in address order.
type RecipientQuery struct {
	Prefix string // addresses starting with this, case-insensitively
	After  string // the last address of the previous page
	Limit  int
}

// RecipientPage is one page of recipients and the cursor of the next.
type RecipientPage struct {
	Recipients []Recipient
	Next       string // empty on the last page
}

// ListRecipients pages through a group by address. Keyset paging and a
// prefix range both ride the (group_id, email) index, so the first page and
// the hundred-thousandth cost the same at a million recipients.
func (s *Audience) ListRecipients(ctx context.Context, groupID uint64, q RecipientQuery) (*RecipientPage, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 50
	}
	db := s.Gorm.WithContext(ctx).Where("group_id = ?", groupID)
	if p := strings.ToLower(strings.TrimSpace(q.Prefix)); p != "" {
		db = db.Where("email >= ?", p)
		if upper, ok := prefixUpperBound(p); ok {
			db = db.Where("email < ?", upper)
		}
	}
	if q.After != "" {
		db = db.Where("email > ?", q.After)
	}
	var rows []Recipient
	if err := db.Order("email").Limit(q.Limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	page := &RecipientPage{Recipients: rows}
	if len(rows) > q.Limit {
		page.Recipients = rows[:q.Limit]
		page.Next = rows[q.Limit-1].Email
	}
	return page, nil
}

// prefixUpperBound is the smallest string greater than every string that
// starts with p, in byte order: p with its last byte below 0xff raised.
func prefixUpperBound(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// RecipientsAfterID returns up to limit recipients of a group with ids
// above afterID, in id order: a stable cursor for a task that sends to a
// group in batches and checkpoints the last id it queued.
func (s *Audience) RecipientsAfterID(ctx context.Context, groupID, afterID uint64, limit int) ([]Recipient, error) {
	var rows []Recipient
	err := s.Gorm.WithContext(ctx).Where("group_id = ? AND id > ?", groupID, afterID).Order("id").Limit(limit).Find(&rows).Error
	return rows, err
}

// EachRecipient calls fn for every recipient of a group in address order,
// reading in pages so memory stays flat at any size.
func (s *Audience) EachRecipient(ctx context.Context, groupID uint64, fn func(*Recipient) error) error {
	return eachInPages(func(after string) ([]Recipient, error) {
		var rows []Recipient
		err := s.Gorm.WithContext(ctx).Where("group_id = ? AND email > ?", groupID, after).Order("email").Limit(pageOfRows).Find(&rows).Error
		return rows, err
	}, func(r *Recipient) string { return r.Email }, fn)
}

// GetRecipient loads one recipient of a group by address.
func (s *Audience) GetRecipient(ctx context.Context, groupID uint64, email string) (*Recipient, error) {
	var r Recipient
	err := s.Gorm.WithContext(ctx).Where("group_id = ? AND email = ?", groupID, strings.ToLower(strings.TrimSpace(email))).Take(&r).Error
	if err != nil {
		return nil, db.NotFound(err)
	}
	return &r, nil
}

// ParseRecipientList splits pasted text into addresses: one per line, or
// separated by commas, semicolons or spaces.
func ParseRecipientList(text string) []RecipientInput {
	fields := strings.FieldsFunc(text, func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == ';' || r == ' ' || r == '\t'
	})
	out := make([]RecipientInput, len(fields))
	for i, f := range fields {
		out[i] = RecipientInput{Email: f}
	}
	return out
}

// String summarises a report for a flash message.
func (r *AddReport) String() string {
	msg := fmt.Sprintf("%d added, %d updated, %d unchanged", r.Inserted, r.Updated, r.Unchanged)
	if r.Duplicates > 0 {
		msg += fmt.Sprintf(", %d repeated", r.Duplicates)
	}
	if bad := r.Empty + r.TooLong + r.Invalid; bad > 0 {
		msg += fmt.Sprintf(", %d refused", bad)
	}
	return msg + "."
}
