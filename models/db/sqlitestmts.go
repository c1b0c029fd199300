package db

import (
	"context"
	"database/sql/driver"
	"errors"

	moderncsqlite "modernc.org/sqlite"
)

// stmtsPerConn bounds the statements one SQLite connection keeps parsed.
// Sesame's hot statements are a few dozen; multi-row INSERTs add one per
// row count.
const stmtsPerConn = 256

// sqliteConnector opens SQLite connections that parse each statement once
// and keep it. SQLite spends more time parsing a statement than running
// most of Sesame's, and database/sql cannot keep statements for
// transactions (a statement prepared in one transaction is parsed again in
// the next), so the cache sits under database/sql, one per connection,
// where every statement, in a transaction or not, finds it.
type sqliteConnector struct {
	dsn    string
	driver *moderncsqlite.Driver
	writes writeGate // shared by the connections; nil lets SQLite alone queue writers
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(sqliteConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("the SQLite driver's connection lacks the context methods Sesame needs")
	}
	return &stmtCachingConn{sqliteConn: full, stmts: map[string]*cachedStmt{}, writes: c.writes}, nil
}

func (c sqliteConnector) Driver() driver.Driver { return c.driver }

// sqliteConn is what database/sql uses of a modernc.org/sqlite connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// sqliteStmt and sqliteRows are what database/sql uses of the driver's
// statements and rows.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

type cachedStmt struct {
	stmt sqliteStmt
	// busy while its rows are open: a statement runs one query at a time,
	// so the same text queried again meanwhile (inside a loop over the
	// first's rows) runs uncached.
	busy bool
}

// stmtCachingConn is used by one goroutine at a time, as database/sql
// hands a connection to one user at a time; it needs no lock.
type stmtCachingConn struct {
	sqliteConn
	stmts  map[string]*cachedStmt
	writes writeGate
}

func (c *stmtCachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.take(ctx, query)
	if err != nil || s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	res, err := s.stmt.ExecContext(ctx, args)
	c.give(query, s, err)
	return res, err
}

func (c *stmtCachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.take(ctx, query)
	if err != nil || s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		c.give(query, s, err)
		return nil, err
	}
	full, ok := rows.(sqliteRows)
	if !ok {
		_ = rows.Close()
		c.give(query, s, errors.New("rows lack column types"))
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	return &cachedRows{sqliteRows: full, done: func(err error) { c.give(query, s, err) }}, nil
}

// take returns the connection's parsed statement for query, parsing it
// the first time, or nil when it is in use or could not be parsed (the
// caller then runs the query uncached, which reports any error).
func (c *stmtCachingConn) take(ctx context.Context, query string) (*cachedStmt, error) {
	s := c.stmts[query]
	if s == nil {
		ds, err := c.sqliteConn.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		full, ok := ds.(sqliteStmt)
		if !ok {
			_ = ds.Close()
			return nil, nil
		}
		if len(c.stmts) >= stmtsPerConn {
			c.evictOne()
		}
		s = &cachedStmt{stmt: full}
		c.stmts[query] = s
	}
	if s.busy {
		return nil, nil
	}
	s.busy = true
	return s, nil
}

// give takes the statement back after use; one that failed is dropped, so
// no error state outlives the statement that met it.
func (c *stmtCachingConn) give(query string, s *cachedStmt, err error) {
	s.busy = false
	if err != nil && c.stmts[query] == s {
		delete(c.stmts, query)
		_ = s.stmt.Close()
	}
}

func (c *stmtCachingConn) evictOne() {
	for q, s := range c.stmts {
		if !s.busy {
			delete(c.stmts, q)
			_ = s.stmt.Close()
			return
		}
	}
}

func (c *stmtCachingConn) Close() error {
	for q, s := range c.stmts {
		delete(c.stmts, q)
		_ = s.stmt.Close()
	}
	return c.sqliteConn.Close()
}

// cachedRows hands its statement back when closed.
type cachedRows struct {
	sqliteRows
	done func(error)
}

func (r *cachedRows) Close() error {
	err := r.sqliteRows.Close()
	if r.done != nil {
		r.done(err)
		r.done = nil
	}
	return err
}
