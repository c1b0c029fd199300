package db

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// insertRows writes rows into table: on PostgreSQL with multi-row INSERTs,
// on SQLite with one INSERT ... SELECT from a JSON parameter (see jsonRows). Unlike
// gorm's Create it asks nothing back (no RETURNING of ids), which is what
// makes it cheap for the event tables written on hot paths.
func (s *DB) InsertRows(tx *gorm.DB, table string, columns []string, rows [][]any) error {
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	if s.Dialect() == SQLite {
		data, err := JsonRows(rows)
		if err != nil {
			return err
		}
		return tx.Exec("INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") SELECT "+JsonColumns(columns)+
			" FROM json_each(?)", data).Error
	}
	chunk := s.RowsPerStatement(len(columns))
	for start := 0; start < len(rows); start += chunk {
		query, args := MultiRowInsert(head, rows[start:min(start+chunk, len(rows))], false)
		if err := tx.Exec(query, args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// multiRowInsert is one INSERT of rows: head ("INSERT INTO t (...) VALUES ")
// and a group of placeholders per row, `?` or, for a statement that goes
// to PostgreSQL's driver without gorm, numbered `$n`; and its arguments.
func MultiRowInsert(head string, rows [][]any, numbered bool) (string, []any) {
	var b strings.Builder
	b.WriteString(head)
	args := make([]any, 0, len(rows)*len(rows[0]))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range r {
			if j > 0 {
				b.WriteString(", ")
			}
			if numbered {
				b.WriteString("$" + strconv.Itoa(len(args)+j+1))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
		args = append(args, r...)
	}
	return b.String(), args
}

// sqliteTimeLayout is how the SQLite driver writes a time.Time parameter
// (_time_format=sqlite in SQLiteDSN); values passed inside JSON must read
// the same, since SQLite compares times as text.
const sqliteTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

// jsonRows encodes rows as one JSON array of arrays, for a SQLite statement
// that reads them with json_each(?): a whole batch in one parameter and one
// statement. The driver parses a prepared statement again on every
// execution, so a statement per row spent most of its time in SQLite's
// parser, and a long multi-row statement is slower still to parse. Times
// become text as the driver writes them, nil becomes NULL, booleans 1 or 0;
// text that is not valid UTF-8 has its bad bytes replaced (U+FFFD).
func JsonRows(rows [][]any) (string, error) {
	conv := make([][]any, len(rows))
	for i, r := range rows {
		conv[i] = make([]any, len(r))
		for j, v := range r {
			switch t := v.(type) {
			case time.Time:
				v = t.Format(sqliteTimeLayout)
			case *time.Time:
				if t != nil {
					v = t.Format(sqliteTimeLayout)
				} else {
					v = nil
				}
			}
			conv[i][j] = v
		}
	}
	b, err := json.Marshal(conv)
	return string(b), err
}

// jsonColumns is the select list reading a json_each row's values by
// position into columns of these names.
func JsonColumns(names []string) string {
	cols := make([]string, len(names))
	for i, name := range names {
		cols[i] = "value ->> " + strconv.Itoa(i) + " AS " + name
	}
	return strings.Join(cols, ", ")
}

// idsIn is the condition "column is one of ids" with a single parameter:
// SQLite reads it with json_each, PostgreSQL as an array. A list of
// hundreds of placeholders costs SQLite a long parse on every run.
func (s *DB) IDsIn(column string, ids []uint64) (string, string) {
	list := make([]byte, 0, len(ids)*8+2)
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendUint(list, id, 10)
	}
	if s.Dialect() == SQLite {
		return column + " IN (SELECT value FROM json_each(?))", "[" + string(list) + "]"
	}
	return column + " = ANY(?::bigint[])", "{" + string(list) + "}"
}

// lockForUpdate locks the rows q reads until the transaction ends, on
// PostgreSQL; SQLite transactions here take the database's write lock at
// their start already.
func (s *DB) LockForUpdate(q *gorm.DB) *gorm.DB {
	if s.Dialect() == Postgres {
		return q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return q
}

// holdRow finds model's row id in tx, ErrNotFound when there is none, and
// on PostgreSQL locks it against deletion (FOR KEY SHARE: other holders
// and updates of its other columns still pass) until tx ends.
func (s *DB) HoldRow(tx *gorm.DB, model any, id uint64) error {
	q := tx.Model(model).Where("id = ?", id)
	if s.Dialect() == Postgres {
		q = q.Clauses(clause.Locking{Strength: "KEY SHARE"})
	}
	var ids []uint64
	if err := q.Pluck("id", &ids).Error; err != nil {
		return err
	}
	if len(ids) == 0 {
		return models.ErrNotFound
	}
	return nil
}

// AnyRow reports whether query q matches a row, reading at most one (a
// COUNT reads them all, LIMIT or not).
func AnyRow(q *gorm.DB) (bool, error) {
	var one []int
	err := q.Select("1").Limit(1).Scan(&one).Error
	return len(one) > 0, err
}

// DomainOfSQL is models.DomainOf for the address in column email: what
// follows its last @ (a quoted local part may hold another). SQLite has no
// reverse search: trimming every character but @ off the end leaves the
// address up to its last @.
func DomainOfSQL(d Dialect, email string) string {
	if d == Postgres {
		return "split_part(" + email + ", '@', -1)"
	}
	return "substr(" + email + ", length(rtrim(" + email + ", replace(" + email + ", '@', ''))) + 1)"
}
