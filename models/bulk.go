package models

import (
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// insertRows writes rows into table: on PostgreSQL with multi-row INSERTs,
// on SQLite with one prepared single-row INSERT (see execEach). Unlike
// gorm's Create it asks nothing back (no RETURNING of ids), which is what
// makes it cheap for the event tables written on hot paths.
func (s *Store) insertRows(tx *gorm.DB, table string, columns []string, rows [][]any) error {
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	if s.dialect == SQLite {
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
		return execEach(tx, head+one, rows)
	}
	chunk := s.rowsPerStatement(len(columns))
	for start := 0; start < len(rows); start += chunk {
		query, args := multiRowInsert(head, rows[start:min(start+chunk, len(rows))], false)
		if err := tx.Exec(query, args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// multiRowInsert is one INSERT of rows: head ("INSERT INTO t (...) VALUES ")
// and a group of placeholders per row, `?` or, for a statement that goes
// to PostgreSQL's driver without gorm, numbered `$n`; and its arguments.
func multiRowInsert(head string, rows [][]any, numbered bool) (string, []any) {
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

// execEach runs one statement once per row of arguments, prepared once.
// SQLite runs in this process, so a prepared statement's steps cost no round
// trips; parsing a long multi-row statement instead costs more than all of
// them (and large allocations the driver maps and unmaps each time).
func execEach(tx *gorm.DB, query string, rows [][]any) error {
	ctx := tx.Statement.Context
	stmt, err := tx.Statement.ConnPool.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return err
		}
	}
	return nil
}

var eventColumns = []string{"message_id", "type", "at", "detail", "source_ip", "url", "user_agent", "client_ip", "machine"}

// insertEvents writes message events in bulk.
func (s *Store) insertEvents(tx *gorm.DB, events []MessageEvent) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		rows[i] = []any{e.MessageID, e.Type, e.At, e.Detail, e.SourceIP, e.URL, e.UserAgent, e.ClientIP, e.Machine}
	}
	return s.insertRows(tx, "message_events", eventColumns, rows)
}
