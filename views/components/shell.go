// Package components holds the pieces every page shares: the request's shell
// (who is signed in, the CSRF token, flashes), form fields, tables, formatting.
package components

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models/accounts"
)

// FlashKind colours a flash message.
type FlashKind string

const (
	FlashSuccess FlashKind = "success"
	FlashError   FlashKind = "error"
	FlashInfo    FlashKind = "info"
)

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    FlashKind
	Message string
}

// Shell is what the layout needs from the request. The web layer puts it in
// the context before rendering; components read it with ShellFrom.
type Shell struct {
	User     *accounts.User // nil when signed out
	CSRF     string
	Flashes  []Flash
	Path     string // the request path, to mark the current navigation entry
	Fragment bool   // an htmx request: render the page body only
	Version  string
	// Sandbox: delivery keeps every message in the sandbox mailbox, so
	// domains send before their DNS records are verified.
	Sandbox bool
}

type shellKey struct{}

// WithShell stores the shell in ctx.
func WithShell(ctx context.Context, s Shell) context.Context {
	return context.WithValue(ctx, shellKey{}, s)
}

// ShellFrom returns the shell stored in ctx (zero when none).
func ShellFrom(ctx context.Context) Shell {
	s, _ := ctx.Value(shellKey{}).(Shell)
	return s
}

// Location is the signed-in user's time zone, UTC otherwise.
func Location(ctx context.Context) *time.Location {
	if u := ShellFrom(ctx).User; u != nil {
		return u.Location()
	}
	return time.UTC
}

// FormatTime shows t in the user's time zone, e.g. "2026-11-23 14:05 CET".
func FormatTime(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(Location(ctx)).Format("2006-01-02 15:04 MST")
}

// FormatTimeSeconds is FormatTime to the second, for timelines, e.g.
// "2026-11-23 14:05:09 CET".
func FormatTimeSeconds(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(Location(ctx)).Format("2006-01-02 15:04:05 MST")
}

// SenderNeeded says what a page that sends needs to send from.
func SenderNeeded(ctx context.Context) string {
	if ShellFrom(ctx).Sandbox {
		return "a sender address"
	}
	return "a sender address of a verified domain"
}

// IsAdmin reports whether the signed-in user is an admin.
func IsAdmin(ctx context.Context) bool {
	u := ShellFrom(ctx).User
	return u != nil && u.IsAdmin()
}

// FormatCount writes 1000000 as 1,000,000.
func FormatCount[N ~int | ~int64 | ~uint64](n N) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}
