package db

import (
	"context"
	"database/sql/driver"
	"time"
)

// writeGate queues the process's SQLite write transactions in Go, first
// come first served, so that only one at a time asks SQLite for the write
// lock. Left to SQLite, a writer that finds the lock taken sleeps in its
// busy handler for 1, 2, 5, 10, then up to 100 ms at a time, and the lock
// stands idle while the waiters sleep: with the API, the engine's claims
// and its results all writing at once, that made a SendEmail's p99 about
// 80 ms. Single statements outside a transaction (SkipDefaultTransaction)
// do not pass the gate, nor do other processes on the same file: those
// still meet on busy_timeout.
type writeGate chan struct{}

// writeGateWait is how long a transaction waits at the gate before it
// goes on to SQLite's own wait, busy_timeout, which may add as long again:
// long enough for any write Sesame makes, and no deadlock should a
// transaction ever open another while it holds the gate (none does).
const writeGateWait = 15 * time.Second

// enter waits for the gate: true once through it, false when the wait
// ran out; an error when ctx ended first.
func (g writeGate) enter(ctx context.Context) (bool, error) {
	select {
	case g <- struct{}{}:
		return true, nil
	default:
	}
	wait := time.NewTimer(writeGateWait)
	defer wait.Stop()
	select {
	case g <- struct{}{}:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-wait.C:
		return false, nil
	}
}

func (g writeGate) leave() { <-g }

func (c *stmtCachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.writes == nil || opts.ReadOnly {
		return c.sqliteConn.BeginTx(ctx, opts)
	}
	entered, err := c.writes.enter(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.sqliteConn.BeginTx(ctx, opts)
	if !entered {
		return tx, err
	}
	if err != nil {
		c.writes.leave()
		return nil, err
	}
	return &gatedTx{Tx: tx, gate: c.writes}, nil
}

// gatedTx leaves the gate when it ends; database/sql ends a transaction
// once, by Commit or Rollback, from one goroutine.
type gatedTx struct {
	driver.Tx
	gate writeGate
}

func (t *gatedTx) Commit() error {
	defer t.gate.leave()
	return t.Tx.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.gate.leave()
	return t.Tx.Rollback()
}
