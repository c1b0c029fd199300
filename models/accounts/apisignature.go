package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/sesame-email/sesame/models/db"
)

// Replayed API requests. The official SDKs' signatures (Tencent's TC3,
// Amazon's Signature Version 4) cover the body and some headers but no
// nonce, and TC3 not the action, so within the clock window a captured
// request verifies again, and a TC3 one with another X-TC-Action. Every valid
// signature is therefore remembered with the action and time of its first use for as long as it could verify, and a
// later use of it is refused when it names another action or one that
// changes state. Within APIReplayGrace of the first use it is allowed: the
// SDKs sign two calls with the same body in the same second alike
// (CreateEmailIdentity then UpdateEmailIdentity is a common pair). A repeat
// of the same read-only action is always allowed: it reads only what the
// caller could read. Tencent's older HmacSHA signatures do sign a nonce:
// that is remembered instead, and never allowed twice (SignatureUse.Once).
const APIReplayGrace = 2 * time.Second

// apiSignatureSweepEvery is how often a process deletes the signatures
// that can no longer verify.
const apiSignatureSweepEvery = time.Minute

type apiSignature struct {
	Signature   string `gorm:"primaryKey"`
	Action      string
	FirstUsedAt time.Time
	ExpiresAt   time.Time
}

func (apiSignature) TableName() string { return "api_signatures" }

// SignatureUse is one use of a verified API request signature.
type SignatureUse struct {
	Signature string
	Action    string
	ReadOnly  bool      // the action only reads
	ExpiresAt time.Time // when the signature stops verifying
	// Once marks a key that a client promises never to send twice (a
	// signed nonce): any second use is a replay, with no grace and no
	// repeat of a read.
	Once bool
}

// ReplayedError is a signature used again, refused: it was first used at
// FirstUsedAt for Action.
type ReplayedError struct {
	Action      string
	FirstUsedAt time.Time
}

func (e *ReplayedError) Error() string {
	return fmt.Sprintf("replayed request: the signature was first used at %s for %s", e.FirstUsedAt.UTC().Format(time.RFC3339), e.Action)
}

// UseSignature records the first use of a signature, or checks a later
// one against it (see APIReplayGrace) and returns a ReplayedError when it is
// refused. It costs one insert into a small indexed table, on SQLite
// committed with those of concurrent requests (db.GroupCommit); a process
// sweeps out expired signatures in bulk now and then.
func (s *Accounts) UseSignature(ctx context.Context, u SignatureUse) error {
	use := &signatureUse{SignatureUse: u, now: s.Now()}
	write := s.signatureUses.Do
	if s.Dialect() == db.Postgres {
		// The table is unlogged there: an insert waits for no WAL flush, so
		// a shared transaction would only add its BEGIN and COMMIT.
		write = func(ctx context.Context, use *signatureUse) error {
			return writeSignatureUses(s.Gorm.WithContext(ctx), []*signatureUse{use})
		}
	}
	if err := write(ctx, use); err != nil {
		return err
	}
	if use.replayed != nil {
		return use.replayed
	}
	return s.sweepSignatures(ctx, use.now)
}

// SignatureGuard is UseSignature for a request whose writes are queued in
// a transaction of their own (sending.Request.Guard): the use is recorded
// in that transaction, so that the request's mail and its signature's use
// commit together, with no commit of their own (on SQLite, a second
// write transaction and fsync per group of requests). A replay is refused
// with a ReplayedError and queues nothing; the requests committed with it
// are not held up. It sets *ran when it runs: a request refused before
// its writes, or whose transaction failed, records its use with
// UseSignature instead.
func (s *Accounts) SignatureGuard(u SignatureUse, ran *bool) db.Guard {
	return func(tx *gorm.DB) error {
		*ran = true
		use := &signatureUse{SignatureUse: u, now: s.Now()}
		if err := writeSignatureUses(tx, []*signatureUse{use}); err != nil {
			return err
		}
		if use.replayed != nil { // its insert found the first use: nothing written
			return &db.Refusal{Err: use.replayed}
		}
		return nil
	}
}

// SweepSignatures deletes the signatures that can no longer verify, at
// most once per apiSignatureSweepEvery: UseSignature does it, and a
// caller of SignatureGuard does it after its transaction.
func (s *Accounts) SweepSignatures(ctx context.Context) error {
	return s.sweepSignatures(ctx, s.Now())
}

// signatureUse is a use waiting for its commit, and what it found.
type signatureUse struct {
	SignatureUse
	now      time.Time
	replayed *ReplayedError
}

// writeSignatureUses records uses inside tx; a refused replay is noted in
// its use and leaves the others be.
func writeSignatureUses(tx *gorm.DB, uses []*signatureUse) error {
	for _, u := range uses {
		u.replayed = nil // a group that failed and is retried alone
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&apiSignature{Signature: u.Signature, Action: u.Action, FirstUsedAt: u.now, ExpiresAt: u.ExpiresAt})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			continue
		}
		var first apiSignature
		err := tx.Where("signature = ?", u.Signature).Take(&first).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			// Swept meanwhile, as it expired: nothing to compare with.
		case err != nil:
			return err
		case u.Once || u.now.Sub(first.FirstUsedAt) > APIReplayGrace && (first.Action != u.Action || !u.ReadOnly):
			u.replayed = &ReplayedError{Action: first.Action, FirstUsedAt: first.FirstUsedAt}
		}
	}
	return nil
}

// sweepSignatures deletes, in one statement, the signatures that can no
// longer verify; each process does it at most once per
// apiSignatureSweepEvery.
func (s *Accounts) sweepSignatures(ctx context.Context, now time.Time) error {
	last := s.signatureSweep.Load()
	if now.UnixNano()-last < int64(apiSignatureSweepEvery) || !s.signatureSweep.CompareAndSwap(last, now.UnixNano()) {
		return nil
	}
	return s.Gorm.WithContext(ctx).Where("expires_at < ?", now).Delete(&apiSignature{}).Error
}
