package main

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
)

// The data directory holds the secret key, the SQLite database and its
// journal, and TLS keys: it is 0700 and every file in it 0600, whether
// Sesame makes it or finds it (made by an older version, or by hand, with
// a umask of 022), and start-up says what it found open.
func TestDataDirIsPrivate(t *testing.T) {
	mode := func(path string) fs.FileMode {
		t.Helper()
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	for _, existing := range []bool{false, true} {
		dbcfg := testdb.Config(t)
		dir := filepath.Join(t.TempDir(), "data")
		if existing {
			for path, content := range map[string]string{
				"secret.key":           strings.Repeat("k", 64) + "\n",
				"imports/upload-1.csv": "email\nann@example.org\n",
			} {
				path = filepath.Join(dir, path)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		var logs bytes.Buffer
		pub, _ := url.Parse("http://localhost:8080")
		cfg := Config{DataDir: dir, DatabaseURL: dbcfg.DatabaseURL, PublicURL: pub, BounceHost: testdb.BounceHost, Delivery: "sandbox", passwordCost: dbcfg.PasswordCost}
		a, err := newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)), models.SystemClock{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]fs.FileMode{dir: 0o700, filepath.Join(dir, "secret.key"): 0o600,
			filepath.Join(dir, smtpd.SelfSignedCertFile): 0o600, filepath.Join(dir, smtpd.SelfSignedKeyFile): 0o600}
		if cfg.DatabaseURL == "" { // SQLite: the database and its WAL, open now
			for _, f := range []string{"sesame.db", "sesame.db-wal", "sesame.db-shm"} {
				want[filepath.Join(dir, f)] = 0o600
			}
		}
		if existing {
			want[filepath.Join(dir, "imports")] = 0o700
			want[filepath.Join(dir, "imports", "upload-1.csv")] = 0o600
		}
		for path, m := range want {
			if got := mode(path); got != m {
				t.Errorf("existing dir %v: %s is %v, want %v", existing, path, got, m)
			}
		}
		warned := strings.Count(logs.String(), "other users could read")
		if existing && (warned != 4 || !strings.Contains(logs.String(), "secret.key")) || !existing && warned != 0 {
			t.Errorf("existing dir %v: %d warnings:\n%s", existing, warned, logs.String())
		}
		a.close()
	}
}
