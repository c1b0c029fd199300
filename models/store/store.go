// Package store opens the database and builds every aggregate's store on
// it, wired to the stores each one needs: the one place that knows them
// all.
package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/retention"
	"github.com/sesame-email/sesame/models/seed"
	"github.com/sesame-email/sesame/models/sending"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/models/webhooks"
)

// Config says where the data lives and how the stores behave.
type Config struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; empty means SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite database and uploads waiting for import.
	DataDir string
	Logger  *slog.Logger
	Clock   models.Clock
	// EncryptionKey (32 bytes) seals secrets at rest; derived from
	// SESAME_SECRET_KEY.
	EncryptionKey []byte
	// Identity is how sending domains must point at this installation.
	Identity identity.IdentityConfig
	// Location is the time zone of calendar days (warm-up days, API dates);
	// UTC when nil.
	Location *time.Location
	// PasswordCost is the bcrypt cost of new password hashes:
	// accounts.DefaultPasswordCost when zero. Tests lower it to keep the
	// race-detector suite fast.
	PasswordCost int
}

// Store is every aggregate's store on one database. It has no methods of
// its own: each caller takes the stores it needs.
type Store struct {
	DB           *db.DB
	Accounts     *accounts.Accounts
	Domains      *identity.Domains
	Senders      *identity.Senders
	IPs          *identity.IPs
	Templates    *content.Templates
	Audience     *audience.Audience
	Suppressions *audience.Suppressions
	Queue        *queue.Queue
	Sandbox      *queue.Sandbox
	Tasks        *tasks.Tasks
	Tracking     *tracking.Tracking
	Seeder       *seed.Seeder
	Webhooks     *webhooks.Store
	Retention    *retention.Pruner
	// Sending is the one path mail is queued by (see package sending).
	Sending *sending.Service
}

// Open connects to the configured database and builds the stores. It does
// not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	core, err := db.Open(ctx, db.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: cfg.Logger, Clock: cfg.Clock,
		EncryptionKey: cfg.EncryptionKey, Location: cfg.Location})
	if err != nil {
		return nil, err
	}
	acc, err := accounts.New(core, cfg.PasswordCost)
	if err != nil {
		core.Close()
		return nil, err
	}
	domains, senders, ips := identity.New(core, acc, cfg.Identity)
	tpl := content.New(core, acc)
	aud, sup := audience.New(core, cfg.DataDir)
	q, sandbox := queue.New(core, domains, sup)
	send := sending.New(domains, senders, tpl, aud, sup, acc, q)
	hooks := webhooks.New(core, senders)
	ts := tasks.New(core, domains, senders, tpl, aud, q, send)
	return &Store{DB: core, Accounts: acc, Domains: domains, Senders: senders, IPs: ips, Templates: tpl, Audience: aud,
		Suppressions: sup, Queue: q, Sandbox: sandbox, Tasks: ts, Tracking: tracking.New(core, q, ts), Seeder: seed.New(core),
		Sending: send, Webhooks: hooks, Retention: retention.New(core, hooks)}, nil
}
