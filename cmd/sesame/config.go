package main

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/scheduler"
	"github.com/sesame-email/sesame/web"
)

// Config is Sesame's configuration, read from the environment only.
type Config struct {
	DataDir       string
	DatabaseURL   string
	HTTPAddr      string
	PublicURL     *url.URL
	SecretKey     string
	SecretKeyFrom string // "environment" or the file it was read from
	AdminEmail    string
	AdminPassword string
	LogFormat     string
	DNSResolver   string // host:port; empty: the system's resolvers
	SPFInclude    string
	BounceHost    string
	Delivery      string // sandbox, mx or relay://…
	MaxRetryAge   time.Duration
	// Retention is how long per-message rows are kept (SESAME_RETENTION);
	// SandboxRetention the sandbox mailbox's (SESAME_SANDBOX_RETENTION).
	Retention        time.Duration
	SandboxRetention time.Duration
	Location         *time.Location // SESAME_TIMEZONE
	SMTPAddr         string
	SMTPSAddr        string // implicit TLS; empty: none
	TLSCert          string // empty: a self-signed certificate in DataDir
	TLSKey           string
	SMTPInsecure     bool // SESAME_SMTP_INSECURE_AUTH
	QueueLease       time.Duration
	TaskGrace        time.Duration // how late a missed task run may still fire
	// ShutdownTimeout bounds how long serve takes to stop after SIGTERM.
	ShutdownTimeout time.Duration
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []netip.Prefix
	MetricsToken   string // empty: /metrics for loopback clients only
	// WebhookAllow opens address ranges webhooks may otherwise not reach.
	WebhookAllow []netip.Prefix
	// Guard pauses a task past these rates; the dashboard warns at Warn.
	Guard scheduler.Guard
	Warn  queue.ReputationLimits

	DKIMSigner outgoing.RSASigner // SignerGo, or empty: OpenSSL's libcrypto 3 when it loads

	passwordCost int // bcrypt cost; zero means the models default
}

// configError names the variable at fault, so a bad value fails fast with a
// message that says what to fix.
type configError struct{ name, msg string }

func (e *configError) Error() string { return e.name + ": " + e.msg }

// loadConfig reads the environment through getenv. It does not touch the
// disk; prepareDataDir does that once the data directory is known to be
// wanted.
func loadConfig(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		DataDir:       get("SESAME_DATA_DIR", "./data"),
		DatabaseURL:   get("DATABASE_URL", ""),
		HTTPAddr:      get("SESAME_HTTP_ADDR", "127.0.0.1:8080"),
		SecretKey:     getenv("SESAME_SECRET_KEY"),
		AdminEmail:    get("SESAME_ADMIN_EMAIL", "admin@localhost"),
		AdminPassword: getenv("SESAME_ADMIN_PASSWORD"),
		LogFormat:     get("SESAME_LOG_FORMAT", "text"),
		DNSResolver:   get("SESAME_DNS_RESOLVER", ""),
		SPFInclude:    get("SESAME_SPF_INCLUDE", ""),
		BounceHost:    get("SESAME_BOUNCE_HOST", ""),
		Delivery:      get("SESAME_DELIVERY", "sandbox"),
		SMTPAddr:      get("SESAME_SMTP_ADDR", "127.0.0.1:2587"),
		SMTPSAddr:     get("SESAME_SMTPS_ADDR", ""),
		TLSCert:       get("SESAME_TLS_CERT", ""),
		TLSKey:        get("SESAME_TLS_KEY", ""),
		MetricsToken:  get("SESAME_METRICS_TOKEN", ""),
	}
	var err error
	if cfg.MaxRetryAge, err = parseDuration(get("SESAME_MAX_RETRY_AGE", "120h")); err != nil || cfg.MaxRetryAge < time.Minute {
		return cfg, &configError{"SESAME_MAX_RETRY_AGE", "must be a duration of at least a minute, such as 120h or 5d"}
	}
	// A message is retried for MaxRetryAge: it must outlive its retries,
	// and a day more for its late bounces and webhooks.
	minRetention := cfg.MaxRetryAge + 24*time.Hour
	if cfg.Retention, err = parseDuration(get("SESAME_RETENTION", "90d")); err != nil || cfg.Retention < minRetention {
		return cfg, &configError{"SESAME_RETENTION", fmt.Sprintf("must be a duration of at least SESAME_MAX_RETRY_AGE plus a day (%s), such as 90d", minRetention)}
	}
	if cfg.SandboxRetention, err = parseDuration(get("SESAME_SANDBOX_RETENTION", "7d")); err != nil || cfg.SandboxRetention < time.Hour {
		return cfg, &configError{"SESAME_SANDBOX_RETENTION", "must be a duration of at least an hour, such as 7d"}
	}
	if cfg.QueueLease, err = parseDuration(get("SESAME_QUEUE_LEASE", "60s")); err != nil || cfg.QueueLease < time.Second {
		return cfg, &configError{"SESAME_QUEUE_LEASE", "must be a duration of at least a second, such as 60s"}
	}
	if cfg.TaskGrace, err = parseDuration(get("SESAME_TASK_GRACE", "1h")); err != nil || cfg.TaskGrace < 0 {
		return cfg, &configError{"SESAME_TASK_GRACE", "must be a duration such as 1h or 30m"}
	}
	if cfg.ShutdownTimeout, err = parseDuration(get("SESAME_SHUTDOWN_TIMEOUT", "30s")); err != nil || cfg.ShutdownTimeout < time.Second {
		return cfg, &configError{"SESAME_SHUTDOWN_TIMEOUT", "must be a duration of at least a second, such as 30s"}
	}
	if err := cfg.loadReputation(get); err != nil {
		return cfg, err
	}
	if cfg.Location, err = time.LoadLocation(get("SESAME_TIMEZONE", "UTC")); err != nil {
		return cfg, &configError{"SESAME_TIMEZONE", "must be an IANA time zone such as UTC or Asia/Shanghai"}
	}
	if _, err := mailer.ParseDelivery(cfg.Delivery, nil); err != nil {
		return cfg, &configError{"SESAME_DELIVERY", err.Error()}
	}
	switch get("SESAME_DKIM_SIGNER", "auto") {
	case "auto":
	case "go":
		cfg.DKIMSigner = outgoing.SignerGo
	default:
		return cfg, &configError{"SESAME_DKIM_SIGNER", "must be auto (OpenSSL's libcrypto 3 when it loads, else Go) or go"}
	}
	if _, port, err := net.SplitHostPort(cfg.SMTPAddr); err != nil || port == "" {
		return cfg, &configError{"SESAME_SMTP_ADDR", fmt.Sprintf("must be host:port such as 127.0.0.1:2587, got %q", cfg.SMTPAddr)}
	}
	if cfg.SMTPSAddr != "" {
		if _, port, err := net.SplitHostPort(cfg.SMTPSAddr); err != nil || port == "" {
			return cfg, &configError{"SESAME_SMTPS_ADDR", fmt.Sprintf("must be empty or host:port such as 127.0.0.1:2465, got %q", cfg.SMTPSAddr)}
		}
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return cfg, &configError{"SESAME_TLS_CERT", "and SESAME_TLS_KEY must be set together (PEM files), or both left empty for a self-signed certificate"}
	}
	if cfg.SMTPInsecure, err = strconv.ParseBool(get("SESAME_SMTP_INSECURE_AUTH", "false")); err != nil {
		return cfg, &configError{"SESAME_SMTP_INSECURE_AUTH", "must be true or false"}
	}
	if cfg.DatabaseURL != "" && !db.IsPostgresURL(cfg.DatabaseURL) {
		return cfg, &configError{"DATABASE_URL", "must be empty (SQLite) or a postgres:// URL"}
	}
	if cfg.DatabaseURL != "" {
		if _, err := url.Parse(cfg.DatabaseURL); err != nil {
			return cfg, &configError{"DATABASE_URL", "is not a valid URL"}
		}
	}
	if _, port, err := net.SplitHostPort(cfg.HTTPAddr); err != nil || port == "" {
		return cfg, &configError{"SESAME_HTTP_ADDR", fmt.Sprintf("must be host:port such as 127.0.0.1:8080, got %q", cfg.HTTPAddr)}
	}
	pub, err := url.Parse(get("SESAME_PUBLIC_URL", "http://localhost:8080"))
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" || pub.RawQuery != "" || pub.Fragment != "" {
		return cfg, &configError{"SESAME_PUBLIC_URL", "must be an absolute http:// or https:// URL without query, such as https://mail.example.com"}
	}
	pub.Path = strings.TrimSuffix(pub.Path, "/")
	cfg.PublicURL = pub
	if cfg.DNSResolver != "" {
		if _, port, err := net.SplitHostPort(cfg.DNSResolver); err != nil || port == "" {
			return cfg, &configError{"SESAME_DNS_RESOLVER", fmt.Sprintf("must be host:port such as 127.0.0.1:53, got %q", cfg.DNSResolver)}
		}
	}
	if cfg.SPFInclude != "" {
		if _, err := models.NormalizeDomain(cfg.SPFInclude); err != nil || !strings.Contains(cfg.SPFInclude, ".") {
			return cfg, &configError{"SESAME_SPF_INCLUDE", "must be a domain name such as _spf.mail.example.com"}
		}
	}
	if cfg.BounceHost == "" {
		cfg.BounceHost = pub.Hostname()
	}
	if host, err := models.NormalizeDomain(cfg.BounceHost); err != nil {
		return cfg, &configError{"SESAME_BOUNCE_HOST", "must be a host name such as mail.example.com"}
	} else {
		cfg.BounceHost = host
	}
	if cfg.SecretKey != "" {
		if len(cfg.SecretKey) < 32 {
			return cfg, &configError{"SESAME_SECRET_KEY", "must be at least 32 characters (e.g. the output of `openssl rand -hex 32`)"}
		}
		cfg.SecretKeyFrom = "environment"
	}
	if _, err := models.NormalizeEmail(cfg.AdminEmail); err != nil {
		return cfg, &configError{"SESAME_ADMIN_EMAIL", "is not a valid email address"}
	}
	if cfg.AdminPassword != "" && (len(cfg.AdminPassword) < accounts.MinPasswordLength || len(cfg.AdminPassword) > accounts.MaxPasswordBytes) {
		return cfg, &configError{"SESAME_ADMIN_PASSWORD", "must be 10 to 72 characters"}
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, &configError{"SESAME_LOG_FORMAT", "must be text or json"}
	}
	if cfg.TrustedProxies, err = parsePrefixes(get("SESAME_TRUSTED_PROXIES", "")); err != nil {
		return cfg, &configError{"SESAME_TRUSTED_PROXIES", "must be a comma-separated list of addresses or CIDR ranges, such as 127.0.0.1/32, 10.0.0.0/8: " + err.Error()}
	}
	if cfg.WebhookAllow, err = parsePrefixes(get("SESAME_WEBHOOK_ALLOW", "")); err != nil {
		return cfg, &configError{"SESAME_WEBHOOK_ALLOW", "must be a comma-separated list of addresses or CIDR ranges webhook receivers may be on, such as 10.0.5.0/24: " + err.Error()}
	}
	if cfg.MetricsToken != "" && (len(cfg.MetricsToken) < 16 || strings.IndexFunc(cfg.MetricsToken, unicode.IsSpace) >= 0) {
		return cfg, &configError{"SESAME_METRICS_TOKEN", "must be empty or at least 16 characters without spaces (e.g. the output of `openssl rand -hex 16`)"}
	}
	return cfg, nil
}

// parsePrefixes reads a list of CIDR ranges separated by commas or spaces;
// a bare address is a range of one.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither an address nor a CIDR range", item)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// loadReputation reads the rates at which the reputation guard pauses a
// task and the dashboard warns; a warning must come before the pause.
func (cfg *Config) loadReputation(get func(name, def string) string) error {
	cfg.Guard = scheduler.DefaultGuard
	cfg.Warn = queue.DefaultWarnLimits
	for _, r := range []struct {
		name string
		into *float64
	}{
		{"SESAME_GUARD_BOUNCE_RATE", &cfg.Guard.BounceRate},
		{"SESAME_GUARD_COMPLAINT_RATE", &cfg.Guard.ComplaintRate},
		{"SESAME_WARN_BOUNCE_RATE", &cfg.Warn.BounceRate},
		{"SESAME_WARN_COMPLAINT_RATE", &cfg.Warn.ComplaintRate},
	} {
		raw := get(r.name, "")
		if raw == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(raw, "%")), 64)
		if err != nil || v <= 0 || v > 100 {
			return &configError{r.name, "must be a percentage above 0 and at most 100, such as 5% or 0.1%"}
		}
		*r.into = v / 100
	}
	if cfg.Warn.BounceRate >= cfg.Guard.BounceRate {
		return &configError{"SESAME_WARN_BOUNCE_RATE", "must be below SESAME_GUARD_BOUNCE_RATE (" + percentOf(cfg.Guard.BounceRate) + "): the dashboard warns before tasks pause"}
	}
	if cfg.Warn.ComplaintRate >= cfg.Guard.ComplaintRate {
		return &configError{"SESAME_WARN_COMPLAINT_RATE", "must be below SESAME_GUARD_COMPLAINT_RATE (" + percentOf(cfg.Guard.ComplaintRate) + "): the dashboard warns before tasks pause"}
	}
	return nil
}

// percentOf writes a rate as typed: 0.001 as "0.1%" (rounded, so the
// float's last bits do not show).
func percentOf(fraction float64) string {
	return strconv.FormatFloat(math.Round(fraction*1e8)/1e6, 'f', -1, 64) + "%"
}

// ensureSecretKey loads the secret key from the data directory, which must
// exist, generating it on first start, unless SESAME_SECRET_KEY supplied one.
func (cfg *Config) ensureSecretKey() error {
	if cfg.SecretKey != "" {
		return nil
	}
	path := filepath.Join(cfg.DataDir, "secret.key")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		cfg.SecretKey = strings.TrimSpace(string(b))
		if len(cfg.SecretKey) < 32 {
			return fmt.Errorf("%s holds a key shorter than 32 characters; remove it to generate a new one", path)
		}
	case errors.Is(err, os.ErrNotExist):
		raw := make([]byte, 32)
		_, _ = rand.Read(raw)
		cfg.SecretKey = hex.EncodeToString(raw)
		if err := os.WriteFile(path, []byte(cfg.SecretKey+"\n"), 0o600); err != nil {
			return &configError{"SESAME_DATA_DIR", "is not writable: " + err.Error()}
		}
	default:
		return err
	}
	cfg.SecretKeyFrom = path
	return nil
}

// deriveKey derives an independent key for one purpose from the secret key,
// so cookie signing, link signing and encryption never share key material.
func (cfg *Config) deriveKey(purpose string, length int) []byte {
	k, err := hkdf.Key(sha256.New, []byte(cfg.SecretKey), nil, "sesame "+purpose, length)
	if err != nil {
		panic(err) // only for lengths hkdf cannot produce, a programming error
	}
	return k
}

// LogValue prints the effective configuration with secrets masked.
func (cfg Config) LogValue() slog.Value {
	db := "sqlite:" + filepath.Join(cfg.DataDir, "sesame.db")
	if cfg.DatabaseURL != "" {
		db = maskURL(cfg.DatabaseURL)
	}
	adminPassword := "(random, printed once)"
	if cfg.AdminPassword != "" {
		adminPassword = "********"
	}
	return slog.GroupValue(
		slog.String("SESAME_DATA_DIR", cfg.DataDir),
		slog.String("DATABASE_URL", db),
		slog.String("SESAME_HTTP_ADDR", cfg.HTTPAddr),
		slog.String("SESAME_PUBLIC_URL", cfg.PublicURL.String()),
		slog.String("SESAME_SECRET_KEY", "******** (from "+cfg.SecretKeyFrom+")"),
		slog.String("SESAME_ADMIN_EMAIL", cfg.AdminEmail),
		slog.String("SESAME_ADMIN_PASSWORD", adminPassword),
		slog.String("SESAME_LOG_FORMAT", cfg.LogFormat),
		slog.String("SESAME_DNS_RESOLVER", orDefault(cfg.DNSResolver, "(system resolvers)")),
		slog.String("SESAME_SPF_INCLUDE", orDefault(cfg.SPFInclude, "(none: SPF lists the sending IPs)")),
		slog.String("SESAME_BOUNCE_HOST", cfg.BounceHost),
		slog.String("SESAME_DELIVERY", maskURL(cfg.Delivery)),
		slog.String("SESAME_DKIM_SIGNER", orDefault(string(cfg.DKIMSigner), "auto")),
		slog.String("SESAME_MAX_RETRY_AGE", cfg.MaxRetryAge.String()),
		slog.String("SESAME_RETENTION", cfg.Retention.String()),
		slog.String("SESAME_SANDBOX_RETENTION", cfg.SandboxRetention.String()),
		slog.String("SESAME_TIMEZONE", cfg.Location.String()),
		slog.String("SESAME_SMTP_ADDR", cfg.SMTPAddr),
		slog.String("SESAME_SMTPS_ADDR", orDefault(cfg.SMTPSAddr, "(none)")),
		slog.String("SESAME_TLS_CERT", orDefault(cfg.TLSCert, "(self-signed, in the data dir)")),
		slog.String("SESAME_TLS_KEY", orDefault(cfg.TLSKey, "(self-signed, in the data dir)")),
		slog.Bool("SESAME_SMTP_INSECURE_AUTH", cfg.SMTPInsecure),
		slog.String("SESAME_TASK_GRACE", cfg.TaskGrace.String()),
		slog.String("SESAME_SHUTDOWN_TIMEOUT", cfg.ShutdownTimeout.String()),
		slog.String("SESAME_GUARD_BOUNCE_RATE", percentOf(cfg.Guard.BounceRate)),
		slog.String("SESAME_GUARD_COMPLAINT_RATE", percentOf(cfg.Guard.ComplaintRate)),
		slog.String("SESAME_WARN_BOUNCE_RATE", percentOf(cfg.Warn.BounceRate)),
		slog.String("SESAME_WARN_COMPLAINT_RATE", percentOf(cfg.Warn.ComplaintRate)),
		slog.String("SESAME_TRUSTED_PROXIES", orDefault(joinPrefixes(cfg.TrustedProxies), "(none: the peer is the client)")),
		slog.String("SESAME_WEBHOOK_ALLOW", orDefault(joinPrefixes(cfg.WebhookAllow), "(none: public addresses only)")),
		slog.String("SESAME_METRICS_TOKEN", maskSecret(cfg.MetricsToken, "(none: /metrics for loopback clients only)")),
	)
}

func joinPrefixes(ps []netip.Prefix) string {
	list := make([]string, len(ps))
	for i, p := range ps {
		list[i] = p.String()
	}
	return strings.Join(list, ",")
}

func maskSecret(v, none string) string {
	if v == "" {
		return none
	}
	return "********"
}

func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "********")
	}
	q := u.Query()
	for _, k := range []string{"password", "pass"} {
		if q.Has(k) {
			q.Set(k, "********")
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

func newLogger(format string, out *os.File) *slog.Logger {
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(out, nil)
	} else {
		h = slog.NewTextHandler(out, nil)
	}
	return slog.New(web.NewLogHandler(h))
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// storeConfig is how the store is opened with this configuration.
func (cfg *Config) storeConfig(log *slog.Logger, clock models.Clock) store.Config {
	publicHost := ""
	if cfg.PublicURL != nil {
		publicHost = cfg.PublicURL.Hostname()
	}
	return store.Config{
		DatabaseURL:   cfg.DatabaseURL,
		DataDir:       cfg.DataDir,
		Logger:        log,
		Clock:         clock,
		PasswordCost:  cfg.passwordCost,
		EncryptionKey: cfg.deriveKey("secrets at rest", 32),
		Identity: identity.IdentityConfig{BounceHost: cfg.BounceHost, SPFInclude: cfg.SPFInclude,
			PublicHost: publicHost, Sandbox: cfg.sandbox(), Relay: cfg.relay()},
		Location: cfg.Location,
	}
}

// relay is the host:port of the smarthost delivery goes through, if any
// (Load checked the URL).
func (cfg *Config) relay() string {
	if u, err := url.Parse(cfg.Delivery); err == nil && u.Scheme == "relay" {
		return u.Host
	}
	return ""
}

// sandbox says delivery keeps every message in the sandbox mailbox.
func (cfg *Config) sandbox() bool { return cfg.Delivery == "" || cfg.Delivery == "sandbox" }

// parseDuration reads Go durations (90m, 120h) and also whole days (5d).
func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, errors.New("bad number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
