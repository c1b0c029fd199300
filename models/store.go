// Package models holds Sesame's domain types, their rules and validation, and
// the store that persists them with gorm on SQLite or PostgreSQL. Nothing here
// knows about HTTP, templ or SMTP.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/libtnb/sqlite"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	moderncsqlite "modernc.org/sqlite"
)

// Dialect names the database behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// StoreConfig says where the data lives.
type StoreConfig struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; empty means SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite database and uploads waiting for import.
	DataDir string
	Logger  *slog.Logger
	Clock   Clock
	// EncryptionKey (32 bytes) seals secrets at rest; derived from
	// SESAME_SECRET_KEY.
	EncryptionKey []byte
	// Identity is how sending domains must point at this installation.
	Identity IdentityConfig
	// Location is the time zone of calendar days (warm-up days, API dates);
	// UTC when nil.
	Location *time.Location
	// PasswordCost is the bcrypt cost of new password hashes: DefaultPasswordCost
	// when zero. Tests lower it to keep the race-detector suite fast.
	PasswordCost int
}

// Store is the one gateway to the database. Methods that write more than one
// row open their own transaction.
type Store struct {
	db           *gorm.DB
	dialect      Dialect
	clock        Clock
	log          *slog.Logger
	passwordCost int
	sealer       *Sealer
	identity     IdentityConfig
	location     *time.Location
	// dummyHash keeps a login for an unknown address as slow as a wrong
	// password, so response times do not reveal which addresses have accounts.
	// It is made on first use: commands that check no password (sesame
	// migrate, sesame warmup) do not pay for a bcrypt hash.
	dummyHash func() []byte
	// dataDir holds uploaded files waiting for import.
	dataDir string
	// importQueued wakes this process's importer when a job is queued.
	importQueued chan struct{}
	// enqueues gathers concurrent Enqueue calls into shared commits.
	enqueues groupCommit
	// apiKeyTouches remembers when this process last wrote each API key's
	// last use (key id → time.Time).
	apiKeyTouches sync.Map
	// signatureSweep is when this process last swept expired API request
	// signatures (Unix nanoseconds).
	signatureSweep atomic.Int64
}

// IsPostgresURL reports whether a DATABASE_URL selects PostgreSQL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Open connects to the configured database. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg StoreConfig) (*Store, error) {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sealer, err := NewSealer(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = DefaultPasswordCost
	}
	if cfg.PasswordCost < bcrypt.MinCost || cfg.PasswordCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("store: password cost %d is outside bcrypt's %d to %d", cfg.PasswordCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	gcfg := &gorm.Config{
		Logger:                 logger.New(slogPrinter{cfg.Logger}, logger.Config{SlowThreshold: time.Second, LogLevel: logger.Warn, IgnoreRecordNotFoundError: true}),
		NowFunc:                func() time.Time { return cfg.Clock.Now().UTC() },
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
	var (
		db      *gorm.DB
		dialect Dialect
	)
	switch {
	case cfg.DatabaseURL == "":
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		path := filepath.Join(cfg.DataDir, "sesame.db")
		// SQLite would create the file 0644, and its -wal and -shm files
		// take the database's mode: made 0600 first, all three are private.
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create the SQLite database: %w", err)
		}
		f.Close()
		conns := sql.OpenDB(sqliteConnector{dsn: SQLiteDSN(path), driver: &moderncsqlite.Driver{}})
		db, err = gorm.Open(sqlite.New(sqlite.Config{Conn: conns}), gcfg)
		dialect = SQLite
	case IsPostgresURL(cfg.DatabaseURL):
		db, err = gorm.Open(postgres.Open(cfg.DatabaseURL), gcfg)
		dialect = Postgres
	default:
		return nil, errors.New("DATABASE_URL must start with postgres:// or postgresql://")
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// WAL lets readers run beside the one writer; more connections than
		// that only queue on the write lock. All of them stay open: a new
		// SQLite connection applies its pragmas and reads the schema, which
		// costs more than the queries it would serve.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	} else {
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(16)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cost := cfg.PasswordCost
	dummy := sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("sesame-timing-equaliser"), cost)
		return h
	})
	return &Store{db: db, dialect: dialect, clock: cfg.Clock, log: cfg.Logger.With("component", "store"),
		passwordCost: cost, dummyHash: dummy, sealer: sealer, identity: cfg.Identity,
		dataDir: cfg.DataDir, importQueued: make(chan struct{}, 1), location: cfg.Location}, nil
}

// SQLiteDSN is the connection string for the SQLite file at path: WAL so
// readers never block the writer, synchronous=FULL so an acknowledged write
// survives power loss, foreign keys on, and IMMEDIATE transactions so two
// writers queue on busy_timeout instead of failing on lock upgrade. Times
// are written as text in sqliteTimeLayout (SQLite compares them as text)
// and read back as time.Time only from DATETIME columns.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(15000)&_txlock=immediate&_time_format=sqlite&_texttotime=0&_inttotime=0"
}

// rowsPerStatement is how many rows of columns values one multi-row
// statement should carry. The SQLite driver matches each bound parameter
// against the whole argument list (quadratic in the count), so SQLite
// statements stay near 400 parameters; PostgreSQL takes far more.
func (s *Store) rowsPerStatement(columns int) int {
	limit := 8000
	if s.dialect == SQLite {
		limit = 400
	}
	return max(1, limit/max(1, columns))
}

// Dialect says which database this store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// Clock is the store's time source.
func (s *Store) Clock() Clock { return s.clock }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the connections.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

func (s *Store) now() time.Time { return s.clock.Now().UTC() }

// Location is the time zone of calendar days.
func (s *Store) Location() *time.Location { return s.location }

// day is the calendar day of t in the configured zone, as YYYY-MM-DD.
func (s *Store) day(t time.Time) string { return t.In(s.location).Format(time.DateOnly) }

// notFound turns gorm's not-found into the domain error.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// isUniqueViolation reports a duplicate key on either database.
func isUniqueViolation(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	// The SQLite driver's errors are not translated by gorm.
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, args ...any) {
	p.log.Warn(strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "gorm")
}
