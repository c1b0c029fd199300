package models

import (
	"strings"

	"gorm.io/gorm"
)

// insertRows writes rows into table: on PostgreSQL with multi-row INSERTs,
// on SQLite with one prepared single-row INSERT (see execEach). Unlike
// gorm's Create it asks nothing back (no RETURNING of ids), which is what
// makes it cheap for the event tables written on hot paths.
func (s *Store) insertRows(tx *gorm.DB, table string, columns []string, rows [][]any) error {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ") + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	if s.dialect == SQLite {
		return execEach(tx, head+one, rows)
	}
	chunk := s.rowsPerStatement(len(columns))
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		var sql strings.Builder
		sql.Grow(len(head) + len(part)*(len(one)+2))
		sql.WriteString(head)
		args := make([]any, 0, len(part)*len(columns))
		for i, r := range part {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(one)
			args = append(args, r...)
		}
		if err := tx.Exec(sql.String(), args...).Error; err != nil {
			return err
		}
	}
	return nil
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
