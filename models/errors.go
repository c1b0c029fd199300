package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Domain errors. The web layer maps them to HTTP statuses and the API layer to
// Tencent error codes, each in exactly one place.
var (
	ErrNotFound           = errors.New("not found")
	ErrConflict           = errors.New("conflict")
	ErrInvalidCredentials = errors.New("email or password is incorrect")
)

// ValidationError carries one message per invalid field, keyed by the field's
// form name, so a form can be re-rendered with each message beside its input.
type ValidationError struct {
	Fields map[string]string
}

// Invalid starts a ValidationError with one field message.
func Invalid(field, message string) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: message}}
}

// Add records a message for field; the first message for a field wins.
func (v *ValidationError) Add(field, message string) {
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	if _, exists := v.Fields[field]; !exists {
		v.Fields[field] = message
	}
}

// Join adds the fields of err when it is a ValidationError and returns
// any other error: validators run one after another then report every
// invalid field at once.
func (v *ValidationError) Join(err error) error {
	var other *ValidationError
	if !errors.As(err, &other) {
		return err
	}
	for f, m := range other.Fields {
		v.Add(f, m)
	}
	return nil
}

// Field returns the message for one field, or "". It is safe on a nil receiver
// so views can ask without checking.
func (v *ValidationError) Field(field string) string {
	if v == nil {
		return ""
	}
	return v.Fields[field]
}

// OrNil returns nil when no field is invalid, so a validator can end with
// `return verr.OrNil()`.
func (v *ValidationError) OrNil() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	keys := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+v.Fields[k])
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// ConflictError is an ErrConflict with a message meant for the user.
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string        { return e.Message }
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Conflictf builds a ConflictError.
func Conflictf(format string, args ...any) error {
	return &ConflictError{Message: fmt.Sprintf(format, args...)}
}

// ThrottledError says the caller must wait until RetryAt before trying again.
// Pace marks the short wait of an account whose attempts are paced, rather
// than a client that is refused for a while.
type ThrottledError struct {
	RetryAt time.Time
	Pace    bool
}

func (e *ThrottledError) Error() string {
	return "too many attempts; retry after " + e.RetryAt.UTC().Format(time.RFC3339)
}

// Plural writes a count with the singular or plural words after it:
// Plural(1, "message is", "messages are") is "1 message is".
func Plural[N ~int | ~int64](n N, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// PlainText is s as a text column keeps it on both databases: valid UTF-8,
// which PostgreSQL insists on, with control characters (NUL, which its text
// cannot hold, among them) as spaces. For text from outside, such as the
// headers of a message an SMTP client submitted.
func PlainText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// truncate makes s valid UTF-8 (replies from remote servers may not be)
// and cuts it to at most n bytes on a character boundary.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
