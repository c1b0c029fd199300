package mailer

import (
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy decides when a deferred message is tried again.
type RetryPolicy struct {
	// Schedule is the wait after the 1st, 2nd, … failed attempt; the last
	// entry repeats.
	Schedule []time.Duration
	// MaxAge is how long a message may keep being retried before it fails.
	MaxAge time.Duration
}

// DefaultRetryPolicy: about 1m, 5m, 15m, 30m, 1h, then every 2h, for 5 days.
var DefaultRetryPolicy = RetryPolicy{
	Schedule: []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour},
	MaxAge:   5 * 24 * time.Hour,
}

var retryHint = regexp.MustCompile(`(?i)(?:try again|retry|wait)\D{0,24}?(\d{1,6})\s*(seconds?|secs?|s|minutes?|mins?|m)\b`)

// retryHintIn reads "try again in 300 seconds" and the like from a reply.
func retryHintIn(reply string) time.Duration {
	m := retryHint.FindStringSubmatch(reply)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	unit := time.Second
	if strings.HasPrefix(strings.ToLower(m[2]), "m") {
		unit = time.Minute
	}
	return time.Duration(n) * unit
}

// Delay is the wait after attempt (1-based) failed with reply: the
// schedule with ±10% jitter, so retries of a large batch do not arrive
// together, but never sooner than the receiver's own "try again in" hint
// (capped at 6 hours).
func (p RetryPolicy) Delay(attempt int, reply string) time.Duration {
	i := min(max(attempt, 1), len(p.Schedule)) - 1
	d := p.Schedule[i]
	d += time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	return max(d, min(retryHintIn(reply), 6*time.Hour))
}
