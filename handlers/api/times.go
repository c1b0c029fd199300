package api

import (
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
)

// Times and dates are written in Sesame's configured zone (SESAME_TIMEZONE),
// as Tencent writes Beijing time: "2006-01-02 15:04:05" and "2006-01-02".
const (
	timeLayout = time.DateTime
	dateLayout = time.DateOnly
)

// dates reads and writes the API's times, in the configured zone, and
// knows now; every resource's actions share it.
type dates struct {
	loc   *time.Location
	clock models.Clock
}

func (d dates) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(d.loc).Format(timeLayout)
}

func (d dates) formatDate(t time.Time) string { return t.In(d.loc).Format(dateLayout) }

// parseTime reads "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DD" in the configured
// zone, or an RFC 3339 time with its own offset.
func (d dates) parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{timeLayout, "2006-01-02 15:04", "2006-01-02T15:04:05", dateLayout} {
		if t, err := time.ParseInLocation(layout, s, d.loc); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseDate reads a calendar day: "YYYY-MM-DD", or an RFC 3339 time whose
// day in the configured zone is meant. It returns midnight of the day.
func (d dates) parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(dateLayout, s, d.loc); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.In(d.loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, d.loc), true
	}
	return time.Time{}, false
}

// unixSeconds is t as a Unix time, 0 for none.
func unixSeconds(t *time.Time) int64 {
	if t == nil || t.IsZero() {
		return 0
	}
	return t.Unix()
}
