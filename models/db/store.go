// Package db is the one place Sesame meets its database: the connection
// (SQLite or PostgreSQL through gorm), dialect differences, multi-row
// statements, the SQLite statement cache, secrets sealed at rest and the
// versioned migrations. The aggregate stores of models/... build on it.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/libtnb/sqlite"
	"github.com/sesame-email/sesame/models"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
	moderncsqlite "modernc.org/sqlite"
)

// Dialect names the database behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says where the data lives.
type Config struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; empty means SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite database.
	DataDir string
	Logger  *slog.Logger
	Clock   models.Clock
	// EncryptionKey (32 bytes) seals secrets at rest; derived from
	// SESAME_SECRET_KEY.
	EncryptionKey []byte
	// Location is the time zone of calendar days (warm-up days, API dates);
	// UTC when nil.
	Location *time.Location
}

// DB is the connection every aggregate's store shares: the gorm handle,
// which database it is, the clock, the sealer of secrets at rest and the
// zone of calendar days. Methods that write more than one row open their
// own transaction.
type DB struct {
	Gorm     *gorm.DB
	Log      *slog.Logger
	Sealer   *Sealer
	dialect  Dialect
	clock    models.Clock
	location *time.Location
}

// IsPostgresURL reports whether a DATABASE_URL selects PostgreSQL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Open connects to the configured database. It does not migrate; call Migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.Clock == nil {
		cfg.Clock = models.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sealer, err := NewSealer(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
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
		conns := sql.OpenDB(sqliteConnector{dsn: SQLiteDSN(path), driver: &moderncsqlite.Driver{}, writes: make(writeGate, 1)})
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
		// As many kept idle as may be open: a connection closed for want of
		// an idle slot is a PostgreSQL backend that exits, and the next one
		// forks and warms its caches again. With 16 kept, 16 SDK clients
		// sending beside delivery made the pool churn: 500 SendEmail
		// requests/s with a p99 of 260 ms, against 720-790 and 100 ms.
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(32)
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
	return &DB{Gorm: db, dialect: dialect, clock: cfg.Clock, Log: cfg.Logger.With("component", "store"), Sealer: sealer, location: cfg.Location}, nil
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

// RowsPerStatement is how many rows of columns values one multi-row
// statement should carry. The SQLite driver matches each bound parameter
// against the whole argument list (quadratic in the count), so SQLite
// statements stay near 400 parameters; PostgreSQL takes far more.
func (s *DB) RowsPerStatement(columns int) int {
	limit := 8000
	if s.Dialect() == SQLite {
		limit = 400
	}
	return max(1, limit/max(1, columns))
}

// SkipLocked lets claimers on PostgreSQL pass over each other's rows
// (FOR UPDATE SKIP LOCKED); on SQLite the claiming transaction holds the
// write lock instead.
func (s *DB) SkipLocked(q *gorm.DB) *gorm.DB {
	if s.Dialect() == Postgres {
		return q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	return q
}

// Dialect says which database this store talks to.
func (s *DB) Dialect() Dialect { return s.dialect }

// Clock is the store's time source.
func (s *DB) Clock() models.Clock { return s.clock }

// Ping checks the database answers.
func (s *DB) Ping(ctx context.Context) error {
	sqlDB, err := s.Gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the connections.
func (s *DB) Close() error {
	sqlDB, err := s.Gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Now is the clock's time, in UTC as the database keeps it.
func (s *DB) Now() time.Time { return s.clock.Now().UTC() }

// Location is the time zone of calendar days.
func (s *DB) Location() *time.Location { return s.location }

// Day is the calendar day of t in the configured zone, as YYYY-MM-DD.
func (s *DB) Day(t time.Time) string { return t.In(s.Location()).Format(time.DateOnly) }

// NotFound turns gorm's not-found into the domain error.
func NotFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.ErrNotFound
	}
	return err
}

// IsUniqueViolation reports a duplicate key on either database.
func IsUniqueViolation(err error) bool {
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

// EscapeLike makes text match itself in a LIKE pattern written with
// ESCAPE '!'.
func EscapeLike(s string) string { return likeEscaper.Replace(s) }

var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
