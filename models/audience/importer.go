package audience

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"
)

// Importer runs the CSV imports queued on this process, one at a time, in
// the background. The app starts Run with the server and cancels its
// context on shutdown; a job cut short is picked up again on the next start.
type Importer struct {
	store *Audience
	log   *slog.Logger
	// idle is how long to wait between looks at the queue when nothing
	// wakes the importer sooner.
	idle time.Duration
}

// NewImporter builds the importer of store's uploads.
func NewImporter(store *Audience, log *slog.Logger) *Importer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Importer{store: store, log: log.With("component", "importer"), idle: 5 * time.Second}
}

// importBatchRows is how many rows go to the database at once: big enough
// to amortise a round trip and a commit, small enough to keep memory flat.
const importBatchRows = 25_000

// Run imports queued jobs until ctx ends.
func (im *Importer) Run(ctx context.Context) error {
	node, err := im.store.nodeID()
	if err != nil {
		return err
	}
	if err := im.store.requeueInterruptedImports(ctx, node); err != nil && ctx.Err() == nil {
		return err
	}
	for {
		job, err := im.store.claimImportJob(ctx, node)
		if err != nil && ctx.Err() == nil {
			im.log.Error("cannot look for imports", "err", err)
		}
		if job != nil {
			im.run(ctx, job)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-im.store.importQueued:
		case <-im.store.Clock().After(im.idle):
		}
	}
}

func (im *Importer) run(ctx context.Context, job *ImportJob) {
	log := im.log.With("job", job.ID, "group", job.GroupID)
	log.Info("import started", "file", job.FileName, "bytes", job.FileSize)
	variables, err := im.importFile(ctx, job)
	switch {
	case ctx.Err() != nil:
		log.Info("import interrupted; it resumes on the next start")
		return
	case errors.Is(err, errImportGone):
		log.Info("import stopped: its group was deleted")
		im.store.removeUpload(job.FilePath)
		return
	case err != nil:
		log.Error("import failed", "err", err)
		job.Status, job.Error = ImportFailed, importFailure(err)
	default:
		job.Status = ImportDone
	}
	if err := im.store.finishImportJob(ctx, job, variables); err != nil {
		log.Error("cannot record the end of an import", "err", err)
		return
	}
	im.store.removeUpload(job.FilePath)
	log.Info("import finished", "status", job.Status, "imported", job.Imported, "updated", job.Updated,
		"duplicates", job.Duplicates, "invalid", job.Invalid)
}

// importFailure words an error for the report; details stay in the log.
func importFailure(err error) string {
	var herr *HeaderError
	if errors.As(err, &herr) {
		return herr.Message
	}
	return "The import stopped because of an internal error; the rows written so far are kept. Upload the file again to finish it."
}

// importBatch is a slice of the file on its way to the database.
type importBatch struct {
	rows       []recipientRow // distinct addresses
	problems   []ImportError
	valid      int64
	duplicates int64
	invalid    int64
	rowsRead   int64
	bytesRead  int64
}

// importFile reads the job's file in one goroutine and writes batches in
// another, so parsing and the database each get a core.
func (im *Importer) importFile(ctx context.Context, job *ImportJob) ([]string, error) {
	f, err := os.Open(job.FilePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rr, err := NewCSVRowReader(f)
	if err != nil {
		return nil, err
	}
	emailIndex, variables, err := RecipientColumns(rr.Header())
	if err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan *importBatch, 1)
	g.Go(func() error {
		defer close(batches)
		return readRecipientRows(gctx, rr, job, emailIndex, variables, batches)
	})
	g.Go(func() error {
		err := im.writeBatches(gctx, job, batches)
		if err != nil {
			for range batches { // let the reader finish
			}
		}
		return err
	})
	return variables, g.Wait()
}

func (im *Importer) writeBatches(ctx context.Context, job *ImportJob, batches <-chan *importBatch) error {
	w, err := im.store.newRecipientWriter(ctx, job.GroupID)
	if err != nil {
		return err
	}
	defer w.Close()
	var valid, kept int64
	for b := range batches {
		ins, upd, err := w.Write(ctx, b.rows)
		if err != nil {
			if errors.Is(err, models.ErrNotFound) {
				return errImportGone
			}
			return err
		}
		valid += b.valid
		job.Imported += ins
		job.Updated += upd
		job.Duplicates += b.duplicates
		job.Invalid += b.invalid
		job.Unchanged = max(0, valid-job.Duplicates-job.Imported-job.Updated)
		job.RowsRead, job.BytesRead = b.rowsRead, b.bytesRead
		problems := b.problems
		if room := maxImportErrorsKept - kept; int64(len(problems)) > room {
			problems = problems[:room]
		}
		kept += int64(len(problems))
		if err := im.store.saveImportProgress(ctx, job, problems); err != nil {
			return err
		}
	}
	return nil
}

// readRecipientRows turns CSV records into validated recipients, batch by
// batch. Within a batch a later row of an address replaces the earlier one
// (the database cannot take one address twice in a statement); across the
// file, repeats are found by a 64-bit hash of each address with the line
// it first appeared on, a few megabytes for a million rows, and each is
// reported with that line.
func readRecipientRows(ctx context.Context, rr *CSVRowReader, job *ImportJob, emailIndex int, variables []string, out chan<- *importBatch) error {
	jobID, fileSize := job.ID, job.FileSize
	type column struct {
		name  string
		index int
	}
	var cols []column
	for i := range rr.Header() {
		if i != emailIndex {
			cols = append(cols, column{variables[len(cols)], i})
		}
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].name < cols[j].name })

	seed := maphash.MakeSeed()
	// Sized for the file (rows of about 50 bytes), so the set of seen
	// addresses is not rebuilt as it grows; a few MB per million rows.
	seen := make(map[uint64]uint32, min(fileSize/50, 5_000_000)) // the line of each address's first row
	domains := domainCache{}
	index := map[string]int{}
	batch := &importBatch{}
	var rowsRead int64
	var vars strings.Builder
	send := func() error {
		batch.rowsRead, batch.bytesRead = rowsRead, rr.BytesRead()
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = &importBatch{rows: make([]recipientRow, 0, importBatchRows)}
		clear(index)
		return nil
	}
	for {
		row, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		rowsRead++
		problem := row.Problem
		var email string
		if problem == ProblemNone {
			email, problem = normalizeRecipientEmail(row.Fields[emailIndex], domains.normalize)
		}
		if problem != ProblemNone {
			raw := ""
			if emailIndex < len(row.Fields) {
				raw = models.ClipRunes(strings.ToValidUTF8(row.Fields[emailIndex], "?"), models.MaxEmailLength)
			}
			batch.invalid++
			batch.problems = append(batch.problems, ImportError{JobID: jobID, Line: int64(row.Line), Email: raw, Reason: problem})
		} else {
			vars.Reset()
			vars.WriteByte('{')
			n := 0
			for _, c := range cols {
				if v := row.Fields[c.index]; v != "" {
					if n > 0 {
						vars.WriteByte(',')
					}
					models.WriteJSONString(&vars, c.name)
					vars.WriteByte(':')
					models.WriteJSONString(&vars, v)
					n++
				}
			}
			vars.WriteByte('}')
			batch.valid++
			h := maphash.String(seed, email)
			if first, dup := seen[h]; dup {
				batch.duplicates++
				batch.problems = append(batch.problems, ImportError{JobID: jobID, Line: int64(row.Line), Email: models.ClipRunes(email, models.MaxEmailLength),
					Reason: RowProblem("duplicate of line " + strconv.FormatUint(uint64(first), 10) + ": this line's values are kept")})
			} else {
				seen[h] = uint32(row.Line)
			}
			if at, ok := index[email]; ok {
				batch.rows[at].Variables = vars.String()
			} else {
				index[email] = len(batch.rows)
				batch.rows = append(batch.rows, recipientRow{Email: email, Variables: vars.String()})
			}
		}
		if len(batch.rows) >= importBatchRows || len(batch.problems) >= importBatchRows {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}

// recipientWriter writes batches of one import.
type recipientWriter interface {
	Write(ctx context.Context, rows []recipientRow) (inserted, updated int64, err error)
	Close() error
}

func (s *Audience) newRecipientWriter(ctx context.Context, groupID uint64) (recipientWriter, error) {
	if s.Dialect() == db.Postgres {
		return s.newCopyWriter(ctx, groupID)
	}
	return &sqliteWriter{store: s, groupID: groupID}, nil
}

// sqliteWriter writes each batch as multi-row upserts in one transaction.
type sqliteWriter struct {
	store   *Audience
	groupID uint64
}

func (w *sqliteWriter) Write(ctx context.Context, rows []recipientRow) (inserted, updated int64, err error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	// In address order the index's pages are visited once each, in order.
	slices.SortFunc(rows, func(a, b recipientRow) int { return strings.Compare(a.Email, b.Email) })
	err = w.store.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := w.store.holdGroup(tx, w.groupID); err != nil {
			return err
		}
		inserted, updated, err = w.store.upsertRecipients(tx, w.groupID, rows, w.store.Now())
		return err
	})
	return inserted, updated, err
}

func (w *sqliteWriter) Close() error { return nil }
