package db

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	moderncsqlite "modernc.org/sqlite"
)

// openGatedSQLite opens a SQLite file whose writers meet at a write gate,
// with SQLite's own busy_timeout cut to 10 ms: a writer that waited on
// SQLite alone would fail after that.
func openGatedSQLite(t *testing.T) *sql.DB {
	dsn := strings.Replace(SQLiteDSN(filepath.Join(t.TempDir(), "t.db")), "busy_timeout(15000)", "busy_timeout(10)", 1)
	db := sql.OpenDB(sqliteConnector{dsn: dsn, driver: &moderncsqlite.Driver{}, writes: make(writeGate, 1)})
	db.SetMaxOpenConns(4)
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestWritersWaitForEachOtherInProcess(t *testing.T) {
	db := openGatedSQLite(t)
	ctx := context.Background()
	first, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Exec(`INSERT INTO t (v) VALUES ('first')`); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			second <- err
			return
		}
		if _, err := tx.Exec(`INSERT INTO t (v) VALUES ('second')`); err != nil {
			_ = tx.Rollback()
			second <- err
			return
		}
		second <- tx.Commit()
	}()
	// Held well past the 10 ms busy_timeout: the second writer waits at
	// the gate, not in SQLite, so it does not fail with SQLITE_BUSY.
	time.Sleep(200 * time.Millisecond)
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatalf("the second writer failed instead of waiting: %v", err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows: %d, %v", n, err)
	}
}

func TestAWriterThatGivesUpLeavesTheGateOpen(t *testing.T) {
	db := openGatedSQLite(t)
	first, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := db.BeginTx(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a writer whose context ended while waiting: %v, want the context's error", err)
	}
	if err := first.Rollback(); err != nil { // a rollback leaves the gate too
		t.Fatal(err)
	}
	for range 3 {
		tx, err := db.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO t (v) VALUES ('after')`); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// Readers do not queue at the gate: one runs while a writer holds it.
	w, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Rollback() }()
	r, err := db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := r.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("read beside a writer: %d, %v", n, err)
	}
	_ = r.Rollback()
}
