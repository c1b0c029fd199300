// Package testdb gives each test a fresh, migrated database: SQLite in a
// temporary directory by default, or a new database in the PostgreSQL cluster
// named by SESAME_TEST_DATABASE_URL (scripts/with-postgres.sh starts one).
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/sesame-email/sesame/internal/benchmeter"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/store"
)

// EnvURL names the PostgreSQL cluster tests should use.
const EnvURL = "SESAME_TEST_DATABASE_URL"

// Config returns a StoreConfig for a fresh, empty database that is dropped
// when the test ends. Password hashing uses bcrypt's minimum cost: the tests
// check behaviour, not the work factor.
func Config(t testing.TB) store.Config {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		return base(t, "")
	}
	name := "sesame_t_" + strings.ToLower(rand.Text()[:12])
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	sqlDB, _ := db.DB()
	if err := db.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		sqlDB.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return base(t, u.String())
}

// BounceHost is the host name test stores tell domains to point bounces at.
const BounceHost = "mail.sesame.test"

func base(t testing.TB, databaseURL string) store.Config {
	return store.Config{
		DatabaseURL:   databaseURL,
		DataDir:       t.TempDir(),
		PasswordCost:  bcrypt.MinCost,
		EncryptionKey: []byte("0123456789abcdef0123456789abcdef"),
		Identity:      identity.IdentityConfig{BounceHost: BounceHost},
	}
}

// Open returns a migrated store on a fresh database, closed when the test ends.
func Open(t testing.TB, clock models.Clock) *store.Store {
	t.Helper()
	cfg := Config(t)
	cfg.Clock = clock
	return OpenConfig(t, cfg)
}

// OpenConfig opens and migrates the database cfg names; a second call with
// the same cfg gives a second process's view of the same database.
func OpenConfig(t testing.TB, cfg store.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.DB.Close() })
	if _, err := st.DB.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return st
}

// Name says which database the suite runs on, for test names and messages.
func Name() string {
	if os.Getenv(EnvURL) != "" {
		return "postgres"
	}
	return "sqlite"
}

// ServerCPU returns a function that reads how much CPU time the processes
// of the test PostgreSQL cluster (its backends and background workers) have
// used, so a benchmark can report the database's share of the work beside
// its own. It returns nil on SQLite, whose work is the test process's own.
// The cluster runs on this machine (scripts/with-postgres.sh); a process
// that exits meanwhile takes its time with it.
func ServerCPU(tb testing.TB) func() time.Duration {
	tb.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		return nil
	}
	db, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		tb.Fatalf("connect to test PostgreSQL: %v", err)
	}
	sqlDB, _ := db.DB()
	tb.Cleanup(func() { sqlDB.Close() })
	return func() time.Duration {
		var pids []int
		if err := db.Raw("SELECT pid FROM pg_stat_activity").Scan(&pids).Error; err != nil {
			tb.Fatalf("list PostgreSQL processes: %v", err)
		}
		var cpu time.Duration
		for _, pid := range pids {
			cpu += benchmeter.CPUOf(pid) // 0 for one that exited
		}
		return cpu
	}
}

// CutOff makes the database cfg names fail its clients, as an outage
// would, until the returned function restores it. On PostgreSQL the
// database refuses new connections and its open ones are ended; on SQLite
// another connection holds the write lock, so every writer waits out its
// busy timeout and fails.
func CutOff(t testing.TB, cfg store.Config) (restore func()) {
	t.Helper()
	ctx := context.Background()
	if cfg.DatabaseURL == "" {
		db, err := sql.Open("sqlite", db.SQLiteDSN(filepath.Join(cfg.DataDir, "sesame.db")))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
			t.Fatalf("lock the SQLite database: %v", err)
		}
		return func() {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Errorf("unlock the SQLite database: %v", err)
			}
			conn.Close()
			db.Close()
		}
	}
	u, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := gorm.Open(postgres.Open(os.Getenv(EnvURL)), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := admin.Exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false").Error; err != nil {
		t.Fatalf("refuse connections: %v", err)
	}
	if err := admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?", name).Error; err != nil {
		t.Fatalf("end connections: %v", err)
	}
	return func() {
		if err := admin.Exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true").Error; err != nil {
			t.Errorf("allow connections: %v", err)
		}
		if sqlDB, err := admin.DB(); err == nil {
			sqlDB.Close()
		}
	}
}
