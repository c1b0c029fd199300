package audience

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// ImportStatus is where a CSV import stands.
type ImportStatus string

const (
	ImportQueued  ImportStatus = "queued"
	ImportRunning ImportStatus = "running"
	ImportDone    ImportStatus = "done"
	ImportFailed  ImportStatus = "failed"
)

const (
	// MaxImportBytes is the largest CSV file a group import accepts.
	MaxImportBytes = 200 << 20
	// maxImportErrorsKept caps the invalid rows listed in a report; the
	// count goes on beyond it.
	maxImportErrorsKept = 100_000
	// maxImportColumns caps a file's columns: the email and its variables.
	maxImportColumns = 100
)

// ImportJob is one uploaded CSV file being imported into a group.
type ImportJob struct {
	ID         uint64
	GroupID    uint64
	Status     ImportStatus
	Node       string
	FilePath   string
	FileName   string
	FileSize   int64
	BytesRead  int64
	RowsRead   int64
	Imported   int64 // new recipients
	Updated    int64 // known recipients whose variables changed
	Unchanged  int64 // known recipients given again as they were
	Duplicates int64 // repeats of an address earlier in the file
	Invalid    int64
	Error      string
	CreatedBy  *uint64
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// Finished reports whether the job has ended, well or not.
func (j *ImportJob) Finished() bool { return j.Status == ImportDone || j.Status == ImportFailed }

// Percent is how much of the file has been read, 0 to 100.
func (j *ImportJob) Percent() int {
	if j.Finished() {
		return 100
	}
	if j.FileSize <= 0 {
		return 0
	}
	return int(min(100, j.BytesRead*100/j.FileSize))
}

// ImportError is one invalid row of an import, by its line in the file.
type ImportError struct {
	JobID  uint64
	Line   int64
	Email  string
	Reason RowProblem
}

// RecipientColumns checks a CSV header for a group import and returns
// the index of the email column and the variable names of the others, in
// file order: each heading normalised (models.NormalizeVariableName), so
// "First Name" gives first_name, the name a template would use.
func RecipientColumns(header []string) (emailIndex int, variables []string, err error) {
	emailIndex = -1
	looksLikeData := false
	for i, name := range header {
		switch {
		case !strings.EqualFold(name, "email"):
			looksLikeData = looksLikeData || strings.Contains(name, "@")
		case emailIndex >= 0:
			return 0, nil, &HeaderError{"The header row names the email column twice."}
		default:
			emailIndex = i
		}
	}
	switch {
	case emailIndex < 0 && looksLikeData:
		return 0, nil, &HeaderError{"The first line looks like data, not a header: add a header row such as email,first_name."}
	case emailIndex < 0:
		return 0, nil, &HeaderError{"The header row has no email column. The first line must name the columns, for example email,first_name."}
	case len(header) > maxImportColumns:
		return 0, nil, &HeaderError{fmt.Sprintf("The file has %d columns; at most %d are allowed.", len(header), maxImportColumns)}
	}
	seen := map[string]bool{}
	for i, heading := range header {
		name := models.NormalizeVariableName(heading)
		switch {
		case i == emailIndex:
			continue
		case !models.ValidVariableName(name):
			return 0, nil, &HeaderError{fmt.Sprintf("Column %q cannot be a template variable: use letters, digits, spaces, _, - and . (for example first_name).", models.TruncateRunes(heading, 40))}
		case seen[name]:
			return 0, nil, &HeaderError{fmt.Sprintf("The header row names column %q twice (as {{%s}}).", models.TruncateRunes(heading, 40), name)}
		}
		seen[name] = true
		variables = append(variables, name)
	}
	return emailIndex, variables, nil
}

func (s *Audience) uploadDir() string { return filepath.Join(s.dataDir, "imports") }

// nodeID names this data dir, so a job runs where its file is. It is made
// once and kept in the data dir.
func (s *Audience) nodeID() (string, error) {
	path := filepath.Join(s.uploadDir(), "node-id")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(s.uploadDir(), 0o700); err != nil {
		return "", err
	}
	id := strings.ToLower(rand.Text()[:16])
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}

func (s *Audience) removeUpload(path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.Log.Warn("could not remove an uploaded file", "path", path, "err", err)
	}
}

// UploadTooLarge is the error for a file over MaxImportBytes, from
// CreateImportJob or from a caller whose reader stops early (a request
// body limit).
func UploadTooLarge() error {
	return models.Invalid("file", "The file is larger than 200 MB. Split it into smaller files and upload them one by one.")
}

// CreateImportJob streams an uploaded CSV file into the data dir (never
// whole into memory), checks its header, and queues it for this process's
// importer.
func (s *Audience) CreateImportJob(ctx context.Context, groupID uint64, fileName string, body io.Reader, createdBy *uint64) (*ImportJob, error) {
	if _, err := s.GetGroup(ctx, groupID); err != nil {
		return nil, err
	}
	node, err := s.nodeID()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.uploadDir(), "upload-*.csv")
	if err != nil {
		return nil, err
	}
	path := f.Name()
	keep := false
	defer func() {
		if !keep {
			s.removeUpload(path)
		}
	}()
	size, err := io.Copy(f, io.LimitReader(body, MaxImportBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return nil, err
	case size > MaxImportBytes:
		return nil, UploadTooLarge()
	case size == 0:
		return nil, models.Invalid("file", "The file is empty.")
	}
	if err := checkImportHeader(path); err != nil {
		return nil, err
	}
	fileName = models.TruncateRunes(strings.ToValidUTF8(filepath.Base(fileName), "?"), 200)
	job := &ImportJob{GroupID: groupID, Status: ImportQueued, Node: node, FilePath: path, FileName: fileName,
		FileSize: size, CreatedBy: createdBy, CreatedAt: s.Now()}
	if err := s.Gorm.WithContext(ctx).Create(job).Error; err != nil {
		return nil, err
	}
	keep = true
	select {
	case s.importQueued <- struct{}{}:
	default:
	}
	return job, nil
}

func checkImportHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rr, err := NewCSVRowReader(f)
	if err == nil {
		_, _, err = RecipientColumns(rr.Header())
	}
	var herr *HeaderError
	if errors.As(err, &herr) {
		return models.Invalid("file", herr.Message)
	}
	return err
}

// GetImportJob loads one import of a group.
func (s *Audience) GetImportJob(ctx context.Context, groupID, jobID uint64) (*ImportJob, error) {
	var j ImportJob
	if err := s.Gorm.WithContext(ctx).Where("group_id = ?", groupID).Take(&j, jobID).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &j, nil
}

// ListImportJobs returns a group's most recent imports, newest first.
func (s *Audience) ListImportJobs(ctx context.Context, groupID uint64, limit int) ([]ImportJob, error) {
	var jobs []ImportJob
	err := s.Gorm.WithContext(ctx).Where("group_id = ?", groupID).Order("id DESC").Limit(limit).Find(&jobs).Error
	return jobs, err
}

// EachImportError calls fn for the job's invalid rows in line order.
func (s *Audience) EachImportError(ctx context.Context, jobID uint64, fn func(*ImportError) error) error {
	return eachInPages(func(after int64) ([]ImportError, error) {
		var rows []ImportError
		err := s.Gorm.WithContext(ctx).Where("job_id = ? AND line > ?", jobID, after).Order("line").Limit(pageOfRows).Find(&rows).Error
		return rows, err
	}, func(e *ImportError) int64 { return e.Line }, fn)
}

// pageOfRows is how many rows the Each… iterators read at a time.
const pageOfRows = 1000

// eachInPages calls fn for every row fetch returns, fetching pages of
// pageOfRows rows, each after the key of the previous page's last row,
// until a short page: memory stays flat however many rows there are.
func eachInPages[T any, K any](fetch func(after K) ([]T, error), key func(*T) K, fn func(*T) error) error {
	var after K
	for {
		rows, err := fetch(after)
		if err != nil {
			return err
		}
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		if len(rows) < pageOfRows {
			return nil
		}
		after = key(&rows[len(rows)-1])
	}
}

// ImportErrorsPreview returns the first invalid rows of a job, for the page.
func (s *Audience) ImportErrorsPreview(ctx context.Context, jobID uint64, limit int) ([]ImportError, error) {
	var rows []ImportError
	err := s.Gorm.WithContext(ctx).Where("job_id = ?", jobID).Order("line").Limit(limit).Find(&rows).Error
	return rows, err
}

// claimImportJob takes this node's oldest queued job, or returns nil.
func (s *Audience) claimImportJob(ctx context.Context, node string) (*ImportJob, error) {
	var job ImportJob
	err := s.Gorm.WithContext(ctx).Where("status = ? AND node = ?", ImportQueued, node).Order("id").Take(&job).Error
	if err = db.NotFound(err); err == models.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.Now()
	res := s.Gorm.WithContext(ctx).Model(&ImportJob{}).Where("id = ? AND status = ?", job.ID, ImportQueued).
		Updates(map[string]any{"status": ImportRunning, "started_at": now})
	if res.Error != nil || res.RowsAffected == 0 {
		return nil, res.Error
	}
	job.Status, job.StartedAt = ImportRunning, &now
	return &job, nil
}

// requeueInterruptedImports puts jobs this node was running when it stopped
// back in the queue, counters cleared: re-reading the file is harmless
// because imports upsert.
func (s *Audience) requeueInterruptedImports(ctx context.Context, node string) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		interrupted := tx.Model(&ImportJob{}).Select("id").Where("status = ? AND node = ?", ImportRunning, node)
		if err := tx.Where("job_id IN (?)", interrupted).Delete(&ImportError{}).Error; err != nil {
			return err
		}
		return tx.Model(&ImportJob{}).Where("status = ? AND node = ?", ImportRunning, node).
			Updates(map[string]any{"status": ImportQueued, "bytes_read": 0, "rows_read": 0, "imported": 0, "updated": 0,
				"unchanged": 0, "duplicates": 0, "invalid": 0, "started_at": nil}).Error
	})
}

// errImportGone means the job's row vanished: its group was deleted.
var errImportGone = errors.New("import job deleted")

// saveImportProgress records the counters of a running job and its new
// invalid rows.
func (s *Audience) saveImportProgress(ctx context.Context, job *ImportJob, problems []ImportError) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ImportJob{ID: job.ID}).Select("bytes_read", "rows_read", "imported", "updated", "unchanged", "duplicates", "invalid").Updates(job)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errImportGone
		}
		if len(problems) == 0 {
			return nil
		}
		return tx.CreateInBatches(problems, 500).Error
	})
}

// finishImportJob ends a job: on success the group's count and variable
// names are brought up to date in the same transaction.
func (s *Audience) finishImportJob(ctx context.Context, job *ImportJob, variables []string) error {
	now := s.Now()
	job.FinishedAt = &now
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ImportJob{ID: job.ID}).Select("status", "error", "bytes_read", "rows_read", "imported", "updated",
			"unchanged", "duplicates", "invalid", "finished_at").Updates(job)
		if res.Error != nil || res.RowsAffected == 0 || job.Status != ImportDone {
			return res.Error
		}
		if err := refreshRecipientCount(tx, job.GroupID, now); err != nil {
			return err
		}
		return mergeVariableNames(tx, job.GroupID, variables, now)
	})
}
