package models

import "time"

// Clock is the time source of everything time-driven, injected so tests can
// cross midnight, a DST change or a day without sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the wall clock, always in UTC so stored times compare as
// strings on SQLite.
type SystemClock struct{}

func (SystemClock) Now() time.Time                         { return time.Now().UTC() }
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
