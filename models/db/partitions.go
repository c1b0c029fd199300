package db

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Day partitions, on PostgreSQL only. The message and event tables are the
// ones that grow with every message, and retention removes them a day at
// a time: as a partition per day of the database's time zone, a day goes
// with one detach and drop instead of a million deletes. Each table also
// has a default partition, which takes any row no day partition covers (a
// clock set far off, a day not created yet), so an insert never fails for
// want of a partition. SQLite keeps plain tables and deletes in batches.

// dayPartitioned are the partitioned tables and their partition keys.
var dayPartitioned = []struct{ Table, Column string }{
	{"messages", "created_at"},
	{"message_events", "at"},
}

// PartitionsAhead is how many days after today get their partitions ahead
// of time (EnsurePartitions runs daily, so a week leaves room for a
// failure or two).
const PartitionsAhead = 7

// moveBatch is how many rows one transaction moves into the partitioned
// layout when an existing database is converted.
const moveBatch = 20_000

// partitionLockTimeout bounds the wait for the locks a partition's attach
// or detach takes. Claims and inserts queue behind a waiting ALTER TABLE,
// so it gives up quickly and tries again rather than hold them up.
const partitionLockTimeout = "100ms"

// DayPartition is one day's partition of a table.
type DayPartition struct {
	Table, Name string
	Day         time.Time // midnight that starts it, in the database's zone
	Attached    bool      // false: detached by a prune that did not finish
}

// End is the midnight that ends the partition's day.
func (p DayPartition) End() time.Time { return p.Day.AddDate(0, 0, 1) }

// partitionName is the name of table's partition for the day starting at day.
func partitionName(table string, day time.Time) string {
	return table + "_p" + day.Format("20060102")
}

var partitionNamePattern = regexp.MustCompile(`^(messages|message_events)_p([0-9]{8})$`)

// partitionByDay converts the plain tables of an existing database to the
// partitioned layout, moving their rows in batches of moveBatch, each in
// its own transaction: a conversion cut short resumes where it stopped at
// the next start. On a new database the tables are empty and this takes
// moments. It runs under the migration lock, on conn.
func (s *DB) partitionByDay(ctx context.Context, conn *gorm.DB) error {
	for _, t := range dayPartitioned {
		var kind string
		if err := conn.Raw("SELECT relkind FROM pg_class WHERE oid = to_regclass(?)", t.Table).Scan(&kind).Error; err != nil {
			return err
		}
		old := t.Table + "_unpartitioned"
		if kind != "p" {
			s.Log.Info("moving to day partitions", "table", t.Table)
			if err := conn.Transaction(func(tx *gorm.DB) error { return s.makePartitioned(tx, t.Table, t.Column, old) }); err != nil {
				return fmt.Errorf("partition %s by day: %w", t.Table, err)
			}
		}
		var left bool
		if err := conn.Raw("SELECT to_regclass(?) IS NOT NULL", old).Scan(&left).Error; err != nil || !left {
			return err
		}
		if err := s.moveRows(ctx, conn, t.Table, old); err != nil {
			return fmt.Errorf("move %s into day partitions: %w", t.Table, err)
		}
	}
	return s.EnsurePartitions(ctx)
}

// makePartitioned renames table to old and creates table again,
// partitioned by day on column, with old's columns, defaults, checks and
// indexes: a primary key of (id, column), since a partitioned table's
// unique keys must hold the partition key, and its other unique indexes as
// plain ones for the same reason (the public uid is unique by how it is
// made: models/id.go). Foreign keys to and from old go: a partitioned table
// has none, and what they cascaded is deleted explicitly (retention, domain
// deletion).
func (s *DB) makePartitioned(tx *gorm.DB, table, column, old string) error {
	var fks []struct{ Owner, Name string }
	if err := tx.Raw("SELECT conrelid::regclass::text AS owner, conname AS name FROM pg_constraint WHERE contype = 'f' AND (confrelid = to_regclass(?) OR conrelid = to_regclass(?))", table, table).
		Scan(&fks).Error; err != nil {
		return err
	}
	for _, fk := range fks {
		if err := tx.Exec(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", fk.Owner, quoteIdent(fk.Name))).Error; err != nil {
			return err
		}
	}
	var indexes []struct {
		Name, Def string
		Primary   bool
	}
	if err := tx.Raw("SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, i.indisprimary AS primary FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(?)", table).
		Scan(&indexes).Error; err != nil {
		return err
	}
	var maxID int64
	if err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM " + table).Scan(&maxID).Error; err != nil {
		return err
	}
	stmts := []string{"ALTER TABLE " + table + " RENAME TO " + old}
	for _, ix := range indexes {
		stmts = append(stmts, "ALTER INDEX "+quoteIdent(ix.Name)+" RENAME TO "+quoteIdent(ix.Name+"_unpartitioned"))
	}
	stmts = append(stmts,
		fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (%s)", table, old, column),
		// PostgreSQL 15 has no identity columns on partitioned tables: a
		// sequence takes over from old's, where it stopped.
		fmt.Sprintf("CREATE SEQUENCE %s_ids OWNED BY %s.id", table, table),
		fmt.Sprintf("SELECT setval('%s_ids', %d + 1, false)", table, maxID),
		fmt.Sprintf("ALTER TABLE %s ALTER COLUMN id SET DEFAULT nextval('%s_ids')", table, table),
		fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (id, %s)", table, column),
		fmt.Sprintf("CREATE TABLE %s_default PARTITION OF %s DEFAULT", table, table),
	)
	for _, ix := range indexes {
		if ix.Primary {
			continue
		}
		// The definition names the table, which is the new one now.
		stmts = append(stmts, strings.Replace(ix.Def, "CREATE UNIQUE INDEX", "CREATE INDEX", 1))
	}
	for _, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%w\n%s", err, q)
		}
	}
	// A partition for each day old has rows of, so they move into their
	// days rather than the default partition.
	var days []string
	if err := tx.Raw(fmt.Sprintf("SELECT DISTINCT to_char(%s AT TIME ZONE ?, 'YYYY-MM-DD') FROM %s", column, old), s.Location().String()).Scan(&days).Error; err != nil {
		return err
	}
	for _, d := range days {
		day, err := time.ParseInLocation(time.DateOnly, d, s.Location())
		if err != nil {
			return err
		}
		if err := s.createPartition(tx, table, column, day); err != nil {
			return err
		}
	}
	return nil
}

// moveRows moves old's rows into table, a batch per transaction, oldest
// ids first, then drops old.
func (s *DB) moveRows(ctx context.Context, conn *gorm.DB, table, old string) error {
	moved := int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		res := conn.Exec(fmt.Sprintf("WITH batch AS (DELETE FROM %s WHERE id IN (SELECT id FROM %s ORDER BY id LIMIT %d) RETURNING *) INSERT INTO %s SELECT * FROM batch",
			old, old, moveBatch, table))
		if res.Error != nil {
			return res.Error
		}
		moved += res.RowsAffected
		if res.RowsAffected == 0 {
			break
		}
		if moved%(10*moveBatch) == 0 {
			s.Log.Info("moving to day partitions", "table", table, "moved", moved)
		}
	}
	s.Log.Info("moved to day partitions", "table", table, "rows", moved)
	return conn.Exec("DROP TABLE " + old).Error
}

// EnsurePartitions creates the day partitions of today and the
// PartitionsAhead days after it, on PostgreSQL, moving into each the rows
// the default partition holds for its day. The scheduler runs it daily.
func (s *DB) EnsurePartitions(ctx context.Context) error {
	if s.Dialect() != Postgres {
		return nil
	}
	parts, err := s.DayPartitions(ctx)
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, p := range parts {
		exists[p.Name] = true
	}
	today := s.StartOfDay(s.Now())
	var errs []error
	for _, t := range dayPartitioned {
		for i := 0; i <= PartitionsAhead; i++ {
			day := today.AddDate(0, 0, i)
			if exists[partitionName(t.Table, day)] {
				continue
			}
			err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := tx.Exec("SET LOCAL lock_timeout = '" + partitionLockTimeout + "'").Error; err != nil {
					return err
				}
				return s.createPartition(tx, t.Table, t.Column, day)
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("create partition %s: %w", partitionName(t.Table, day), err))
			}
		}
	}
	return errors.Join(errs...)
}

// createPartition creates table's partition for day as a table of its own,
// moves into it the default partition's rows of that day, and attaches it,
// which locks the partitioned table less than creating it as a partition
// would (claims and inserts go on), and checks the default partition holds
// nothing more of the day.
func (s *DB) createPartition(tx *gorm.DB, table, column string, day time.Time) error {
	name := partitionName(table, day)
	from, to := pgTime(day), pgTime(day.AddDate(0, 0, 1))
	for _, q := range []string{
		fmt.Sprintf("CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS)", name, table),
		fmt.Sprintf("WITH moved AS (DELETE FROM %s_default WHERE %s >= %s AND %s < %s RETURNING *) INSERT INTO %s SELECT * FROM moved", table, column, from, column, to, name),
		fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM (%s) TO (%s)", table, name, from, to),
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%w\n%s", err, q)
		}
	}
	return nil
}

// DayPartitions lists the day partitions of the partitioned tables, oldest
// first, with those a prune detached but did not drop.
func (s *DB) DayPartitions(ctx context.Context) ([]DayPartition, error) {
	if s.Dialect() != Postgres {
		return nil, nil
	}
	var rows []struct {
		Name     string
		Attached bool
	}
	err := s.Gorm.WithContext(ctx).Raw("SELECT relname AS name, relispartition AS attached FROM pg_class WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace AND relname ~ '^(messages|message_events)_p[0-9]{8}$' ORDER BY substring(relname from '[0-9]{8}$'), relname").
		Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]DayPartition, 0, len(rows))
	for _, r := range rows {
		m := partitionNamePattern.FindStringSubmatch(r.Name)
		day, err := time.ParseInLocation("20060102", m[2], s.Location())
		if err != nil {
			return nil, err
		}
		out = append(out, DayPartition{Table: m[1], Name: r.Name, Day: day, Attached: r.Attached})
	}
	return out, nil
}

// DetachPartition takes p out of its table, so that no query of the
// table sees its rows any more and it can be emptied and dropped at
// leisure. It waits at most partitionLockTimeout for its lock and reports
// false when it did not get it.
func (s *DB) DetachPartition(ctx context.Context, p DayPartition) (bool, error) {
	if !p.Attached {
		return true, nil
	}
	err := s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL lock_timeout = '" + partitionLockTimeout + "'").Error; err != nil {
			return err
		}
		return tx.Exec("ALTER TABLE " + p.Table + " DETACH PARTITION " + p.Name).Error
	})
	if err != nil && strings.Contains(err.Error(), "lock timeout") {
		return false, nil
	}
	return err == nil, err
}

// Span is the earliest and latest of the times rows were made, gathered
// as they are read, for Within. A row whose time is unknown (zero) leaves
// the span unknown: Within then narrows nothing.
type Span struct {
	first, last time.Time
	unknown     bool
}

// Add widens the span to t.
func (s *Span) Add(t time.Time) {
	switch {
	case t.IsZero():
		s.unknown = true
	case s.first.IsZero():
		s.first, s.last = t, t
	case t.Before(s.first):
		s.first = t
	case t.After(s.last):
		s.last = t
	}
}

// Within narrows a look-up by id in a day-partitioned table to the rows
// made within span (the times of the rows looked up, which the caller
// read with them): on PostgreSQL the planner then reads only those days'
// partitions instead of probing every day kept. It is empty on SQLite,
// whose tables are not partitioned.
func (s *DB) Within(column string, span Span) (string, []any) {
	if s.Dialect() != Postgres || span.unknown || span.first.IsZero() {
		return "", nil
	}
	return " AND " + column + " BETWEEN ? AND ?", []any{span.first, span.last}
}

// StartOfDay is midnight, in the database's time zone, of the day t falls on.
func (s *DB) StartOfDay(t time.Time) time.Time {
	d := t.In(s.Location())
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, s.Location())
}

// pgTime is t as a timestamptz literal.
func pgTime(t time.Time) string { return "'" + t.Format(time.RFC3339) + "'" }

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
