package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	moderncsqlite "modernc.org/sqlite"
)

func openCachingSQLite(t *testing.T) *sql.DB {
	t.Helper()
	db := sql.OpenDB(sqliteConnector{dsn: SQLiteDSN(filepath.Join(t.TempDir(), "t.db")), driver: &moderncsqlite.Driver{}})
	db.SetMaxOpenConns(1) // every statement on the one connection and its cache
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStatementCacheServesTransactionsAndNestedQueries(t *testing.T) {
	db := openCachingSQLite(t)
	ctx := context.Background()
	for round := range 3 { // the same statements, parsed in the first round, in and out of transactions
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := tx.Exec(`INSERT INTO t (v) VALUES (?)`, strconv.Itoa(round*10+i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// The same text queried again on the connection while its first rows
	// are open runs beside them.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.Query(`SELECT v FROM t WHERE id <= ? ORDER BY id`, 2)
	if err != nil {
		t.Fatal(err)
	}
	var outer, inner []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, v)
		if err := tx.QueryRow(`SELECT v FROM t WHERE id <= ? ORDER BY id`, 9).Scan(&v); err != nil {
			t.Fatal(err)
		}
		inner = append(inner, v)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(outer) != 2 || outer[1] != "1" || len(inner) != 2 || inner[1] != "0" {
		t.Fatalf("outer %v, inner %v", outer, inner)
	}
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 9 {
		t.Fatalf("count %d, %v", n, err)
	}
}

func TestStatementCacheRecoversFromErrors(t *testing.T) {
	db := openCachingSQLite(t)
	insert := `INSERT INTO t (v) VALUES (?)`
	if _, err := db.Exec(insert, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(insert, "a"); err == nil {
		t.Fatal("a duplicate was inserted")
	}
	if _, err := db.Exec(insert, "b"); err != nil {
		t.Fatalf("the statement after a failed one: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO nowhere VALUES (1)`); err == nil {
		t.Fatal("a statement on a missing table ran")
	}
	// More distinct statements than a connection keeps: the oldest are
	// dropped, and every one still runs.
	for i := range stmtsPerConn + 10 {
		var v int
		if err := db.QueryRow(`SELECT ` + strconv.Itoa(i)).Scan(&v); err != nil || v != i {
			t.Fatalf("SELECT %d: %d, %v", i, v, err)
		}
	}
}

// Times bound as parameters and times passed inside JSON batches (jsonRows)
// are compared as text, so the driver must write the layout jsonRows does.
func TestSQLiteWritesTimesInTheLayoutOfJSONBatches(t *testing.T) {
	db := openCachingSQLite(t)
	at := time.Date(2026, 3, 7, 12, 0, 0, 500, time.UTC)
	if _, err := db.Exec(`INSERT INTO t (v) VALUES (?)`, at); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.QueryRow(`SELECT v FROM t`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := at.Format(sqliteTimeLayout); got != want {
		t.Fatalf("the driver wrote %q; JSON batches write %q", got, want)
	}
}
