package audience

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"gorm.io/gorm"
)

// SuppressionImportReport says what a suppression list import did.
type SuppressionImportReport struct {
	Rows     int
	Added    int // new entries, and expired entries revived
	Existing int // already listed
	Problems []RecipientProblem
	Invalid  int
}

// maxSuppressionProblemsKept bounds the problems a report lists.
const maxSuppressionProblemsKept = 1000

// ImportSuppressions reads a CSV file with an email column (an address, or
// a domain to suppress whole) and optional reason, scope_domain and
// expires_at columns, and adds every valid row with source. It streams:
// rows go to the database in batches, whatever the file's size.
func (s *Suppressions) ImportSuppressions(ctx context.Context, r io.Reader, source string) (*SuppressionImportReport, error) {
	rr, err := NewCSVRowReader(r)
	var herr *HeaderError
	if errors.As(err, &herr) {
		return nil, models.Invalid("file", herr.Message)
	}
	if err != nil {
		return nil, err
	}
	col := map[string]int{"email": -1, "reason": -1, "scope_domain": -1, "expires_at": -1}
	for i, name := range rr.Header() {
		if _, known := col[strings.ToLower(name)]; known {
			col[strings.ToLower(name)] = i
		}
	}
	if col["email"] < 0 {
		return nil, models.Invalid("file", "The header row has no email column. The first line must name the columns, for example email,reason,expires_at.")
	}
	field := func(row CSVRow, name string) string {
		if i := col[name]; i >= 0 && i < len(row.Fields) {
			return row.Fields[i]
		}
		return ""
	}
	rep := &SuppressionImportReport{}
	problem := func(line int, value string, reason RowProblem) {
		rep.Invalid++
		if len(rep.Problems) < maxSuppressionProblemsKept {
			rep.Problems = append(rep.Problems, RecipientProblem{Line: line, Email: models.TruncateRunes(strings.ToValidUTF8(value, "?"), 100), Reason: reason})
		}
	}
	now := s.Now()
	batch := make([]Suppression, 0, upsertChunk)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		added, err := s.insertSuppressions(ctx, batch, now)
		rep.Added += added
		rep.Existing += len(batch) - added
		batch = batch[:0]
		return err
	}
	seen := map[string]bool{}
	for {
		row, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rep.Rows++
		if row.Problem != ProblemNone {
			problem(row.Line, field(row, "email"), row.Problem)
			continue
		}
		in := SuppressionInput{Value: field(row, "email"), Reason: ReasonManual, ScopeDomain: field(row, "scope_domain"), Source: source}
		if reason := strings.TrimSpace(field(row, "reason")); reason != "" {
			in.Reason = SuppressionReason(strings.ToLower(reason))
		}
		if raw := strings.TrimSpace(field(row, "expires_at")); raw != "" {
			t, ok := ParseTimeInput(raw, time.UTC)
			if !ok {
				problem(row.Line, in.Value, ProblemBadData)
				continue
			}
			in.ExpiresAt = &t
		}
		kind, err := in.normalize(now)
		if err != nil {
			reason := ProblemBadAddress
			var verr *models.ValidationError
			if errors.As(err, &verr) && verr.Field("value") == "" {
				reason = ProblemBadData
			} else if strings.TrimSpace(field(row, "email")) == "" {
				reason = ProblemEmpty
			}
			problem(row.Line, field(row, "email"), reason)
			continue
		}
		key := in.Value + "\x00" + in.ScopeDomain + "\x00" + string(in.Reason)
		if seen[key] {
			rep.Existing++
			continue
		}
		seen[key] = true
		batch = append(batch, Suppression{Kind: kind, Value: in.Value, Reason: in.Reason, ScopeDomain: in.ScopeDomain,
			Source: in.Source, CreatedAt: now, ExpiresAt: in.ExpiresAt})
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return rep, nil
}

// insertSuppressions adds entries (distinct keys) in one statement and says
// how many were new or revived; active entries already listed are kept as
// they are.
func (s *Suppressions) insertSuppressions(ctx context.Context, entries []Suppression, now time.Time) (int, error) {
	var sql strings.Builder
	args := make([]any, 0, len(entries)*7+1)
	sql.WriteString("INSERT INTO suppressions (kind, value, reason, scope_domain, source, created_at, expires_at) VALUES ")
	for i, e := range entries {
		if i > 0 {
			sql.WriteByte(',')
		}
		sql.WriteString("(?,?,?,?,?,?,?)")
		args = append(args, e.Kind, e.Value, e.Reason, e.ScopeDomain, e.Source, e.CreatedAt, e.ExpiresAt)
	}
	sql.WriteString(" ON CONFLICT (value, scope_domain, reason) DO UPDATE SET source = excluded.source, created_at = excluded.created_at," +
		" expires_at = excluded.expires_at WHERE suppressions.expires_at IS NOT NULL AND suppressions.expires_at <= ?")
	args = append(args, now)
	var added int64
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(sql.String(), args...)
		added = res.RowsAffected
		return res.Error
	})
	return int(added), err
}

// ParseTimeInput reads a time typed by a person or an API client:
// RFC 3339, "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM" (an HTML
// datetime-local field) or a date, the last three in loc.
func ParseTimeInput(raw string, loc *time.Location) (time.Time, bool) {
	raw = strings.TrimSpace(raw)
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{time.DateTime, "2006-01-02T15:04", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// String summarises an import for a flash message.
func (r *SuppressionImportReport) String() string {
	msg := fmt.Sprintf("%d added, %d already listed", r.Added, r.Existing)
	if r.Invalid > 0 {
		msg += fmt.Sprintf(", %d refused", r.Invalid)
	}
	return msg + "."
}
