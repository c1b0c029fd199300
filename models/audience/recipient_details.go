package audience

import (
	"context"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// UploadRecipients is AddRecipients for a client that cannot fix its rows
// afterwards (the API): the rows it refuses are kept, as an import of the
// group named source, so they can be listed and counted as the group's
// invalid recipients. Everything commits in one transaction.
func (s *Audience) UploadRecipients(ctx context.Context, groupID uint64, in []RecipientInput, source string, createdBy *uint64) (*AddReport, error) {
	rep, rows, names := prepareRecipients(in)
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(rows) > 0 {
			if err := s.addRecipientRows(tx, groupID, rep, rows, names); err != nil {
				return err
			}
		} else if err := tx.Select("id").Take(&RecipientGroup{}, groupID).Error; err != nil {
			return db.NotFound(err)
		}
		if len(rep.Problems) == 0 {
			return nil
		}
		now := s.Now()
		job := &ImportJob{GroupID: groupID, Status: ImportDone, Node: "", FileName: models.TruncateRunes(source, 200),
			RowsRead: int64(rep.Total), Imported: int64(rep.Inserted), Updated: int64(rep.Updated), Unchanged: int64(rep.Unchanged),
			Duplicates: int64(rep.Duplicates), Invalid: int64(len(rep.Problems)), CreatedBy: createdBy,
			CreatedAt: now, StartedAt: &now, FinishedAt: &now}
		if err := tx.Create(job).Error; err != nil {
			return err
		}
		problems := make([]ImportError, len(rep.Problems))
		for i, p := range rep.Problems {
			problems[i] = ImportError{JobID: job.ID, Line: int64(p.Line), Email: p.Email, Reason: p.Reason}
		}
		return tx.CreateInBatches(problems, 500).Error
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// InvalidRecipientCounts says, per group, how many rows its imports refused.
func (s *Audience) InvalidRecipientCounts(ctx context.Context, groupIDs []uint64) (map[uint64]int64, error) {
	out := map[uint64]int64{}
	if len(groupIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		GroupID uint64
		N       int64
	}
	err := s.Gorm.WithContext(ctx).Model(&ImportJob{}).Select("group_id, SUM(invalid) AS n").
		Where("group_id IN ? AND status = ?", groupIDs, ImportDone).Group("group_id").Scan(&rows).Error
	for _, r := range rows {
		out[r.GroupID] = r.N
	}
	return out, err
}

// RecipientDetailQuery selects a page of a group's recipients as Tencent's
// ListReceiverDetails sees them: valid recipients, then the rows imports
// refused.
type RecipientDetailQuery struct {
	Contains string    // part of the address
	From, To time.Time // added in [From, To); zero: open
	Valid    *bool     // only valid (true) or only refused (false) rows
	Offset   int
	Limit    int
}

// RecipientDetail is one row of that list.
type RecipientDetail struct {
	ID        uint64 // the recipient's id; 0 for a refused row
	Email     string
	Variables string
	CreatedAt time.Time
	Valid     bool
	Reason    RowProblem
}

// RecipientDetailPage is a page with the counts of its query.
type RecipientDetailPage struct {
	Details []RecipientDetail
	Valid   int64 // matching valid recipients
	Invalid int64 // matching refused rows
}

// ListRecipientDetails pages through a group's recipients and refused rows.
func (s *Audience) ListRecipientDetails(ctx context.Context, groupID uint64, q RecipientDetailQuery) (*RecipientDetailPage, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	contains := "%" + db.EscapeLike(strings.ToLower(strings.TrimSpace(q.Contains))) + "%"
	valid := s.Gorm.WithContext(ctx).Model(&Recipient{}).Where("group_id = ?", groupID)
	invalid := s.Gorm.WithContext(ctx).Table("import_errors").Joins("JOIN import_jobs ON import_jobs.id = import_errors.job_id").
		Where("import_jobs.group_id = ? AND import_jobs.status = ?", groupID, ImportDone)
	if strings.TrimSpace(q.Contains) != "" {
		valid = valid.Where("email LIKE ? ESCAPE '!'", contains)
		invalid = invalid.Where("LOWER(import_errors.email) LIKE ? ESCAPE '!'", contains)
	}
	if !q.From.IsZero() {
		valid = valid.Where("created_at >= ?", q.From.UTC())
		invalid = invalid.Where("import_jobs.created_at >= ?", q.From.UTC())
	}
	if !q.To.IsZero() {
		valid = valid.Where("created_at < ?", q.To.UTC())
		invalid = invalid.Where("import_jobs.created_at < ?", q.To.UTC())
	}
	page := &RecipientDetailPage{}
	if q.Valid == nil || *q.Valid {
		if err := valid.Count(&page.Valid).Error; err != nil {
			return nil, err
		}
	}
	if q.Valid == nil || !*q.Valid {
		if err := invalid.Count(&page.Invalid).Error; err != nil {
			return nil, err
		}
	}
	offset, limit := q.Offset, q.Limit
	if int64(offset) < page.Valid {
		var rows []Recipient
		if err := valid.Order("id").Offset(offset).Limit(limit).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			page.Details = append(page.Details, RecipientDetail{ID: r.ID, Email: r.Email, Variables: r.Variables, CreatedAt: r.CreatedAt, Valid: true})
		}
		limit -= len(rows)
		offset = 0
	} else {
		offset -= int(page.Valid)
	}
	if limit > 0 && page.Invalid > 0 {
		var rows []struct {
			Email     string
			Reason    RowProblem
			CreatedAt time.Time
		}
		err := invalid.Select("import_errors.email, import_errors.reason, import_jobs.created_at").
			Order("import_errors.job_id, import_errors.line").Offset(offset).Limit(limit).Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			page.Details = append(page.Details, RecipientDetail{Email: r.Email, CreatedAt: r.CreatedAt, Reason: r.Reason})
		}
	}
	return page, nil
}
