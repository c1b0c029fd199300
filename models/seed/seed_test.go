package seed_test

import (
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/seed"
	"github.com/sesame-email/sesame/models/tracking"
)

// The seeder's rollup rows are those the real code paths would have
// written for its messages and events.
func TestSeededRollupsMatchTheirEvents(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC))
	cfg := testdb.Config(t)
	cfg.Clock = clock
	cfg.Location, _ = time.LoadLocation("Asia/Shanghai")
	st := testdb.OpenConfig(t, cfg)
	var seeded seed.SeedResult
	for round := 1; round <= 2; round++ { // seeding again adds to the same rows
		var err error
		if seeded, err = st.Seeder.SeedEvents(ctx, seed.SeedOptions{Events: 6000, Days: 3}); err != nil {
			t.Fatal(err)
		}
		if seeded.Events < 5900 || seeded.Events > 6100 || len(seeded.Domains) != 4 || len(seeded.Tasks) != 12 {
			t.Fatalf("seeded %+v", seeded)
		}
	}
	direct, clicks, err := fixtures.DirectCounts(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/New_York")
	days, err := st.Queue.DailyVolumes(ctx, clock.Now().AddDate(0, 0, -4), clock.Now(), loc, queue.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var perDomain []queue.Volume
	for _, d := range seeded.Domains {
		days, err := st.Queue.DailyVolumes(ctx, clock.Now().AddDate(0, 0, -4), clock.Now(), loc, queue.StatsFilter{DomainID: d})
		if err != nil {
			t.Fatal(err)
		}
		perDomain = append(perDomain, days...)
	}
	for name, got := range map[string]queue.StatsRow{"summed": queue.Totals(days), "per domain": queue.Totals(perDomain)} {
		if got != direct {
			t.Errorf("rollup %s %+v\ndirect %+v", name, got, direct)
		}
	}
	if direct.Complained == 0 || direct.Unsubscribed == 0 || direct.Bounced == 0 || direct.Clicked == 0 || direct.Deferred == 0 {
		t.Errorf("the seed lacks some kind of event: %+v", direct)
	}
	rep, err := st.Tracking.Dashboard(ctx, tracking.DashboardInput{Days: "7"}, loc, queue.DefaultWarnLimits)
	if err != nil {
		t.Fatal(err)
	}
	var linked int64
	for _, l := range rep.Links {
		linked += l.Clicks
	}
	if linked != clicks {
		t.Errorf("link clicks %d, click events by people %d", linked, clicks)
	}
	if len(rep.Warmups) == 0 || len(rep.Providers) != len(queue.Providers) {
		t.Errorf("warm-ups %d, providers %+v", len(rep.Warmups), rep.Providers)
	}
}
