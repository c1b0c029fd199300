package tracking_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
)

func TestParsePeriod(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	// 03:30 UTC on 9 March is still 8 March in New York, the day clocks
	// went forward: that day has 23 hours.
	now := time.Date(2026, 3, 9, 3, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		days, from, to string
		first, last    string
		n, preset      int
		field          string
	}{
		{first: "2026-02-07", last: "2026-03-08", n: 30, preset: 30},
		{days: "7", first: "2026-03-02", last: "2026-03-08", n: 7, preset: 7},
		{days: "90", first: "2025-12-09", last: "2026-03-08", n: 90, preset: 90},
		{days: "7", from: "2026-03-01", to: "2026-03-08", first: "2026-03-01", last: "2026-03-08", n: 8}, // dates win over a preset
		{from: "2026-03-02", to: "2026-03-08", first: "2026-03-02", last: "2026-03-08", n: 7, preset: 7}, // the last 7 days, as dates
		{from: "2026-03-08", to: "2026-03-08", first: "2026-03-08", last: "2026-03-08", n: 1},
		{from: "2025-03-08", to: "2026-03-08", first: "2025-03-08", last: "2026-03-08", n: 366},
		{days: "14", field: "days"},
		{from: "2026-03-01", field: "to"},
		{to: "2026-03-01", field: "from"},
		{from: "1 March", to: "2026-03-02", field: "from"},
		{from: "2026-03-05", to: "2026-03-01", field: "to"},
		{from: "2026-03-01", to: "2026-03-09", field: "to"}, // tomorrow in New York
		{from: "2025-03-07", to: "2026-03-08", field: "from"},
	} {
		p, err := tracking.ParsePeriod(c.days, c.from, c.to, now, ny)
		var verr *models.ValidationError
		if c.field != "" {
			if !errors.As(err, &verr) || verr.Field(c.field) == "" {
				t.Errorf("%+v: want an error on %s, got %v", c, c.field, err)
			}
			continue
		}
		if err != nil || p.From.Format(time.DateOnly) != c.first || p.LastDay().Format(time.DateOnly) != c.last || p.Days() != c.n || p.Preset != c.preset {
			t.Errorf("%+v: got %s to %s, %d days, preset %d, %v", c, p.From, p.LastDay(), p.Days(), p.Preset, err)
		}
		if p.From.Location() != ny || p.From.Hour() != 0 || p.To.Hour() != 0 {
			t.Errorf("%+v: bounds %s, %s not midnights in New York", c, p.From, p.To)
		}
	}
}

func TestRatesAndWarnings(t *testing.T) {
	row := queue.StatsRow{Accepted: 2000, Delivered: 1900, Bounced: 100, Opened: 570, Clicked: 95, Unsubscribed: 19, Complained: 2}
	for name, c := range map[string]struct {
		r    queue.Rate
		want float64
	}{
		"delivery": {row.DeliveryRate(), 0.95}, "bounce": {row.BounceRate(), 0.05}, "open": {row.OpenRate(), 0.3},
		"click": {row.ClickRate(), 0.05}, "unsubscribe": {row.UnsubscribeRate(), 0.01}, "complaint": {row.ComplaintRate(), 2.0 / 1900},
	} {
		if c.r.Fraction() != c.want {
			t.Errorf("%s rate %v, want %v", name, c.r.Fraction(), c.want)
		}
	}
	// Exactly 5% bounces and just over 0.1% complaints: both warn.
	if w := queue.DefaultWarnLimits.Check(row); len(w) != 2 || w[0].Kind != queue.ReputationBounces || w[1].Kind != queue.ReputationComplaints {
		t.Errorf("warnings %+v", w)
	}
	row.Bounced, row.Complained = 99, 1
	if w := queue.DefaultWarnLimits.Check(row); len(w) != 0 {
		t.Errorf("warnings under the limits: %+v", w)
	}
	// A limit typed as 0.1% is met by 1 in 1,000.
	typed := queue.ReputationLimits{BounceRate: 1, ComplaintRate: 0.1 / 100}
	if w := typed.Check(queue.StatsRow{Accepted: 1000, Delivered: 1000, Complained: 1}); len(w) != 1 {
		t.Errorf("1 in 1,000 against 0.1%%: %+v", w)
	}
	if (queue.Rate{}).Known() || queue.DefaultWarnLimits.Check(queue.StatsRow{}) != nil {
		t.Error("rates of nothing")
	}
}

func TestBounceReasonOf(t *testing.T) {
	for reply, want := range map[string]string{
		"550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown": "550 5.1.1 <address>: Recipient address rejected: User unknown",
		"550 5.1.1 bob@example.com... User unknown":                             "550 5.1.1 <address> User unknown",
		"552  5.2.2   Mailbox full\r\n":                                         "552 5.2.2 Mailbox full",
		"":                                                                      "(no reply recorded)",
	} {
		if got := tracking.BounceReasonOf(reply); got != want {
			t.Errorf("%q: %q, want %q", reply, got, want)
		}
	}
}
