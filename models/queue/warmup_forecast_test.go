package queue_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/queue"
)

// days writes a forecast as "03-05:700 03-06:5000 …".
func days(f queue.Forecast) string {
	var parts []string
	for _, d := range f.Days {
		parts = append(parts, fmt.Sprintf("%s:%d", d.Date.Format("01-02"), d.Count))
	}
	return strings.Join(parts, " ")
}

func TestForecastSending(t *testing.T) {
	thursday := time.Date(2026, 3, 5, 15, 30, 0, 0, time.UTC)
	standard := func(day, left int) queue.QuotaOutlook {
		return queue.QuotaOutlook{Day: day, LeftToday: left, Plan: queue.StandardWarmupPlan}
	}
	ramp := []int{100, 200, 400}
	cases := []struct {
		name    string
		waiting int
		limits  []queue.SendingCapacity
		want    string
		later   int
	}{
		{"nothing waits", 0, []queue.SendingCapacity{standard(1, 0)}, "", 0},
		{"no limit at all", 42_000, nil, "03-05:42000", 0},
		{"plan none", 42_000, []queue.SendingCapacity{queue.QuotaOutlook{Unlimited: true}}, "03-05:42000", 0},
		// Day 3 of the standard plan with 700 of 2,000 left: then days 4 to 7.
		{"standard plan walks forward", 42_000, []queue.SendingCapacity{standard(3, 700)}, "03-05:700 03-06:5000 03-07:10000 03-08:20000 03-09:6300", 0},
		{"today used up starts tomorrow", 600, []queue.SendingCapacity{standard(1, 0)}, "03-06:600", 0},
		{"after the plan ends its last volume holds", 1_000_000, []queue.SendingCapacity{standard(20, 0)}, "03-06:1000000", 0},
		{"custom plan past its end", 700, []queue.SendingCapacity{queue.QuotaOutlook{Day: 2, Plan: ramp}}, "03-06:400 03-07:300", 0},
		{"a day before the plan starts counts as day 1", 150, []queue.SendingCapacity{queue.QuotaOutlook{Day: 0, LeftToday: 0, Plan: ramp}}, "03-06:100 03-07:50", 0},
		{"the tightest limit wins each day", 1_000, []queue.SendingCapacity{
			queue.QuotaOutlook{Day: 1, LeftToday: 100, Plan: ramp},
			queue.QuotaOutlook{Day: 1, LeftToday: 30, Plan: []int{500, 150}},
		}, "03-05:30 03-06:150 03-07:150 03-08:150 03-09:150 03-10:150 03-11:150 03-12:70", 0},
		{"an unlimited limit does not limit", 500, []queue.SendingCapacity{queue.QuotaOutlook{Unlimited: true}, queue.QuotaOutlook{Day: 1, LeftToday: 100, Plan: ramp}}, "03-05:100 03-06:200 03-07:200", 0},
		{"a pool adds its IPs up", 1_000, []queue.SendingCapacity{queue.PooledOutlook{
			{Day: 1, LeftToday: 10, Plan: ramp}, {Day: 3, LeftToday: 20, Plan: ramp},
		}}, "03-05:30 03-06:600 03-07:370", 0},
		{"a pool with an IP without limit", 1_000, []queue.SendingCapacity{queue.PooledOutlook{{Day: 1, Plan: ramp}, {Unlimited: true}}}, "03-05:1000", 0},
		{"an empty pool sends nothing", 10, []queue.SendingCapacity{queue.PooledOutlook{}}, "", 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := queue.ForecastSending(c.waiting, thursday, c.limits...)
			if got := days(f); got != c.want || f.Later != c.later || f.Unsent != c.waiting {
				t.Errorf("got %q, later %d, unsent %d; want %q, later %d", got, f.Later, f.Unsent, c.want, c.later)
			}
			sum := f.Later
			for _, d := range f.Days {
				sum += d.Count
			}
			if sum != c.waiting {
				t.Errorf("the days add up to %d of %d", sum, c.waiting)
			}
		})
	}
}

func TestForecastStopsAtTheHorizon(t *testing.T) {
	today := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	f := queue.ForecastSending(1_000, today, queue.QuotaOutlook{Day: 1, LeftToday: 1, Plan: []int{1}})
	if len(f.Days) != queue.ForecastHorizon || f.Later != 1_000-queue.ForecastHorizon {
		t.Fatalf("%d days, %d later", len(f.Days), f.Later)
	}
	if !f.Last().IsZero() {
		t.Errorf("a forecast that does not finish names a last day: %v", f.Last())
	}
	if got := f.Days[len(f.Days)-1].Date; !got.Equal(today.AddDate(0, 0, queue.ForecastHorizon-1)) {
		t.Errorf("last forecast day %v", got)
	}
}

func TestForecastDatesAreCalendarDaysOfItsZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 20:00 UTC on 5 March is 04:00 on 6 March in Shanghai.
	now := time.Date(2026, 3, 5, 20, 0, 0, 0, time.UTC).In(shanghai)
	f := queue.ForecastSending(300, now, queue.QuotaOutlook{Day: 1, Plan: []int{100, 200}})
	want := time.Date(2026, 3, 8, 0, 0, 0, 0, shanghai)
	if !f.Start.Equal(time.Date(2026, 3, 6, 0, 0, 0, 0, shanghai)) || !f.Last().Equal(want) || f.Last().Location() != shanghai {
		t.Errorf("start %v, last %v; want the last on %v", f.Start, f.Last(), want)
	}
}

func TestForecastTodayAndWaitingForQuota(t *testing.T) {
	thursday := time.Date(2026, 3, 5, 15, 30, 0, 0, time.UTC)
	ramp := []int{100, 200, 400}
	for _, c := range []struct {
		name                   string
		unsent                 int
		limit                  queue.QuotaOutlook
		today, waitingForQuota int
	}{
		{"nothing unsent", 0, queue.QuotaOutlook{Day: 1, LeftToday: 50, Plan: ramp}, 0, 0},
		{"all within today's quota", 40, queue.QuotaOutlook{Day: 1, LeftToday: 50, Plan: ramp}, 40, 0},
		{"some over today's quota", 500, queue.QuotaOutlook{Day: 1, LeftToday: 50, Plan: ramp}, 50, 450},
		{"today's quota used up", 500, queue.QuotaOutlook{Day: 1, Plan: ramp}, 0, 500},
		{"no limit", 500, queue.QuotaOutlook{Unlimited: true}, 500, 0},
	} {
		f := queue.ForecastSending(c.unsent, thursday, c.limit)
		if f.Today() != c.today || f.WaitingForQuota() != c.waitingForQuota {
			t.Errorf("%s: %d today, %d waiting for quota; want %d and %d", c.name, f.Today(), f.WaitingForQuota(), c.today, c.waitingForQuota)
		}
	}
}

func TestForecastSplitSharesTheDaysInOrder(t *testing.T) {
	thursday := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	// 30 today, then 200 and 400 a day: 1,000 go over four days.
	f := queue.ForecastSending(1_000, thursday, queue.QuotaOutlook{Day: 1, LeftToday: 30, Plan: []int{100, 200, 400}})
	parts := f.Split(20, 500, 0, 480)
	want := []string{"03-05:20", "03-05:10 03-06:200 03-07:290", "", "03-07:110 03-08:370"}
	for i, p := range parts {
		if got := days(p); got != want[i] || p.Later != 0 || !p.Start.Equal(f.Start) {
			t.Errorf("part %d: %q, later %d; want %q", i, got, p.Later, want[i])
		}
	}
	if parts[0].WaitingForQuota() != 0 || parts[1].Today() != 10 || parts[1].WaitingForQuota() != 490 || !parts[3].Last().Equal(f.Last()) {
		t.Errorf("parts: %+v", parts)
	}
	// What the forecast does not send within its horizon stays later in
	// the last parts.
	short := queue.ForecastSending(10, thursday, queue.QuotaOutlook{Day: 1, LeftToday: 1, Plan: []int{1}})
	short.Days = short.Days[:3]
	short.Later = 7
	if parts := short.Split(2, 8); days(parts[0]) != "03-05:1 03-06:1" || days(parts[1]) != "03-07:1" || parts[1].Later != 7 {
		t.Errorf("beyond the horizon: %q, %q later %d", days(parts[0]), days(parts[1]), parts[1].Later)
	}
}
