package audience

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/sesame-email/sesame/models"
)

// copyWriter is the PostgreSQL path of an import: each batch is COPYed into
// a session temp table and merged with one INSERT … SELECT … ON CONFLICT,
// which is an order of magnitude faster than row-by-row or multi-row
// inserts. (An UPDATE … FROM plus an anti-joined INSERT was tried and
// planned badly: the group's statistics lag behind a running import.)
// Rows go in address order, so index pages are visited in order. It holds
// one connection for the whole job, where the temp table lives.
type copyWriter struct {
	store   *Audience
	groupID uint64
	conn    *sql.Conn
}

const mergeRecipientsSQL = `WITH up AS (
	INSERT INTO recipients (group_id, email, variables, created_at, updated_at)
	SELECT $1::bigint, email, variables, $2::timestamptz, $2::timestamptz FROM recipients_load ORDER BY email
	ON CONFLICT (group_id, email) DO UPDATE SET variables = EXCLUDED.variables, updated_at = EXCLUDED.updated_at
	WHERE recipients.variables <> EXCLUDED.variables
	RETURNING (xmax = 0) AS inserted)
SELECT COUNT(*) FILTER (WHERE inserted), COUNT(*) FILTER (WHERE NOT inserted) FROM up`

func (s *Audience) newCopyWriter(ctx context.Context, groupID uint64) (*copyWriter, error) {
	sqlDB, err := s.Gorm.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &copyWriter{store: s, groupID: groupID, conn: conn}
	err = w.pgx(func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS recipients_load (email TEXT COLLATE "C", variables TEXT)`)
		return err
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

// pgx runs fn on the pgx connection under the pooled one.
func (w *copyWriter) pgx(fn func(*pgx.Conn) error) error {
	return w.conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected PostgreSQL driver connection %T", driverConn)
		}
		return fn(c.Conn())
	})
}

func (w *copyWriter) Write(ctx context.Context, rows []recipientRow) (inserted, updated int64, err error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	err = w.pgx(func(c *pgx.Conn) error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		// Store.holdGroup's check, in this transaction of pgx's.
		var held int
		err = tx.QueryRow(ctx, "SELECT 1 FROM recipient_groups WHERE id = $1 FOR KEY SHARE", w.groupID).Scan(&held)
		if errors.Is(err, pgx.ErrNoRows) {
			return models.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"recipients_load"}, []string{"email", "variables"},
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { return []any{rows[i].Email, rows[i].Variables}, nil }))
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, mergeRecipientsSQL, w.groupID, w.store.Now()).Scan(&inserted, &updated); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "TRUNCATE recipients_load"); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	return inserted, updated, err
}

// Close drops the temp table and gives the connection back to the pool.
// It runs however the import ended (its context may be done), so it takes
// a context of its own, bounded: a database that does not answer must not
// hold the importer.
func (w *copyWriter) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.pgx(func(c *pgx.Conn) error {
		_, err := c.Exec(ctx, "DROP TABLE IF EXISTS recipients_load")
		return err
	})
	return w.conn.Close()
}
