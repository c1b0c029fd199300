package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "./data" || cfg.HTTPAddr != "127.0.0.1:8080" || cfg.PublicURL.String() != "http://localhost:8080" ||
		cfg.AdminEmail != "admin@localhost" || cfg.LogFormat != "text" || cfg.DatabaseURL != "" ||
		cfg.Retention != 90*24*time.Hour || cfg.SandboxRetention != 7*24*time.Hour || cfg.WebhookAllow != nil {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestConfigRejectsBadValuesNamingTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"DATABASE_URL":              "mysql://localhost/x",
		"SESAME_HTTP_ADDR":          "8080",
		"SESAME_PUBLIC_URL":         "localhost:8080",
		"SESAME_SECRET_KEY":         "too-short",
		"SESAME_ADMIN_EMAIL":        "not an address",
		"SESAME_ADMIN_PASSWORD":     "short",
		"SESAME_LOG_FORMAT":         "xml",
		"SESAME_SMTPS_ADDR":         "2465",
		"SESAME_TLS_CERT":           "/etc/ssl/sesame.pem", // without SESAME_TLS_KEY
		"SESAME_SMTP_INSECURE_AUTH": "maybe",
		"SESAME_DKIM_SIGNER":        "boringssl",
		// The dashboard warns before the guard pauses, not after.
		"SESAME_WARN_BOUNCE_RATE":     "12%",
		"SESAME_GUARD_COMPLAINT_RATE": "a lot",
		"SESAME_WARN_COMPLAINT_RATE":  "0",
		"SESAME_TRUSTED_PROXIES":      "10.0.0.0/8, proxy.example",
		"SESAME_METRICS_TOKEN":        "short",
		"SESAME_WEBHOOK_ALLOW":        "127.0.0.1/33",
		// Less than the 5 days of retries plus a day.
		"SESAME_RETENTION":         "5d",
		"SESAME_SANDBOX_RETENTION": "soon",
	} {
		_, err := loadConfig(env(map[string]string{name: value}))
		if err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%s=%q: got %v", name, value, err)
		}
		// And the binary exits non-zero with that message.
		var stderr bytes.Buffer
		err = run(context.Background(), []string{"serve"}, env(map[string]string{name: value}), io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("run with %s=%q: %v", name, value, err)
		}
	}
}

func TestConfigReputationRates(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"SESAME_GUARD_BOUNCE_RATE": "8%", "SESAME_WARN_BOUNCE_RATE": "2.5", "SESAME_WARN_COMPLAINT_RATE": "0.08%"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Guard.BounceRate != 0.08 || cfg.Guard.ComplaintRate != 0.005 || cfg.Guard.MinSent != 200 || cfg.Warn.BounceRate != 0.025 || cfg.Warn.ComplaintRate != 0.0008 {
		t.Errorf("guard %+v, warn %+v", cfg.Guard, cfg.Warn)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", "config", cfg)
	if !strings.Contains(buf.String(), "SESAME_WARN_COMPLAINT_RATE=0.08%") {
		t.Errorf("log: %s", buf.String())
	}
}

func TestConfigLogMasksSecrets(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"DATABASE_URL":          "postgres://sesame:hunter2hunter2@db:5432/sesame",
		"SESAME_SECRET_KEY":     strings.Repeat("s3cr3t", 8),
		"SESAME_ADMIN_PASSWORD": "admin-password-1",
		"SESAME_METRICS_TOKEN":  "metrics-token-0123456789",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", "config", cfg)
	out := buf.String()
	for _, secret := range []string{"hunter2hunter2", "s3cr3t", "admin-password-1", "metrics-token-0123456789"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "postgres://sesame:%2A%2A%2A%2A%2A%2A%2A%2A@db:5432/sesame") && !strings.Contains(out, "postgres://sesame:********@db:5432/sesame") {
		t.Errorf("database URL not shown masked: %s", out)
	}
}

func TestConfigTrustedProxies(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"SESAME_TRUSTED_PROXIES": " 10.1.2.3/8,127.0.0.1 2001:db8::/32 ::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := joinPrefixes(cfg.TrustedProxies); got != "10.0.0.0/8,127.0.0.1/32,2001:db8::/32,::1/128" {
		t.Errorf("trusted proxies %s", got)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configuration", "config", cfg)
	if !strings.Contains(buf.String(), "SESAME_TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1/32,2001:db8::/32,::1/128") {
		t.Errorf("log: %s", buf.String())
	}
	if cfg, _ := loadConfig(env(nil)); len(cfg.TrustedProxies) != 0 {
		t.Errorf("trusted by default: %v", cfg.TrustedProxies)
	}
}

func TestSecretKeyIsGeneratedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := loadConfig(env(map[string]string{"SESAME_DATA_DIR": dir}))
	if err := cfg.ensureSecretKey(); err != nil {
		t.Fatal(err)
	}
	again, _ := loadConfig(env(map[string]string{"SESAME_DATA_DIR": dir}))
	if err := again.ensureSecretKey(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.SecretKey) != 64 || cfg.SecretKey != again.SecretKey {
		t.Errorf("generated %q, then read %q", cfg.SecretKey, again.SecretKey)
	}
	if a, b := cfg.deriveKey("x", 32), cfg.deriveKey("y", 32); bytes.Equal(a, b) {
		t.Error("two purposes share a key")
	}
}

func TestCommands(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(nil), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "sesame ") {
		t.Errorf("version: %q %v", out.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, env(nil), io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
	dir := t.TempDir()
	vars := env(map[string]string{"SESAME_DATA_DIR": dir})
	out.Reset()
	if err := run(context.Background(), []string{"migrate"}, vars, &out, io.Discard); err != nil || !strings.Contains(out.String(), "schema version") {
		t.Errorf("migrate: %q %v", out.String(), err)
	}
	out.Reset()
	err := run(context.Background(), []string{"user", "create", "--email", "Ann@Example.com", "--password", "marketer pass 1", "--role", "marketer"}, vars, &out, io.Discard)
	if err != nil || out.String() != "created marketer user ann@example.com\n" {
		t.Errorf("user create: %q %v", out.String(), err)
	}
	err = run(context.Background(), []string{"user", "create", "--email", "ann@example.com", "--password", "x", "--role", "boss"}, vars, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "password: Use at least 10 characters.") || !strings.Contains(err.Error(), "role: Choose admin or marketer.") {
		t.Errorf("bad user create: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"dev", "seed-events", "--count", "3000", "--days", "2"}, vars, &out, io.Discard); err != nil ||
		!regexp.MustCompile(`^seeded 1118 messages, 30\d\d events and \d+ rollup rows over 2 days in .*"Seed campaign 12"\n$`).MatchString(out.String()) {
		t.Errorf("dev seed-events: %q %v", out.String(), err)
	}
	for _, bad := range [][]string{{"dev"}, {"dev", "seed-events"}, {"dev", "seed-events", "--count", "10", "--days", "0"}, {"dev", "seed-events", "--count", "x"}} {
		var uerr usageError
		if err := run(context.Background(), bad, vars, io.Discard, io.Discard); !errors.As(err, &uerr) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
