package webhook

import (
	"testing"
	"time"
)

// TestPosterGivesWayToDelivery: between rounds the poster goes on at once
// while events wait and pauses for Interval when none do; while the
// process delivers, it also keeps to DeliveringRate events a second.
func TestPosterGivesWayToDelivery(t *testing.T) {
	p := &Poster{cfg: Config{Interval: time.Second, DeliveringRate: 1000}}
	for _, c := range []struct {
		posted     int
		more       bool
		delivering bool
		elapsed    time.Duration
		want       time.Duration
	}{
		{500, true, false, 100 * time.Millisecond, 0},
		{20, false, false, 10 * time.Millisecond, time.Second},
		{500, true, true, 100 * time.Millisecond, 400 * time.Millisecond},
		{500, true, true, 700 * time.Millisecond, 0}, // slower than the rate already
		{500, false, true, 100 * time.Millisecond, time.Second},
		{3000, false, true, 500 * time.Millisecond, 2500 * time.Millisecond}, // several endpoints' batches
	} {
		if got := p.pause(c.posted, c.more, c.delivering, c.elapsed); got != c.want {
			t.Errorf("%d posts in %v, more %v, delivering %v: pause %v, want %v", c.posted, c.elapsed, c.more, c.delivering, got, c.want)
		}
	}
}
