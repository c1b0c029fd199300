package tracking_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
)

// The rollup equals a direct count over the messages' events after mail
// went through the real code paths: queued by Enqueue and by a task run,
// delivered by the engine over SMTP to a sink answering 550 and 451, opened
// and clicked through the tracker (people twice, machines too),
// unsubscribed, bounced late and complained about, across midnight.
func TestRollupEqualsADirectCountOfTheEvents(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 1, 22, 30, 0, 0, time.UTC))
	cfg := testdb.Config(t)
	cfg.Clock = clock
	st := testdb.OpenConfig(t, cfg)
	dns := dnstest.Start(t)
	shop := fixtures.Sender(t, st, dns, "orders@shop.test", "Shop")
	news := fixtures.Sender(t, st, dns, "news@news.test", "News")
	sink := smtpsink.Start(t)
	sink.When("gone", smtpsink.Reply550, 0)
	sink.When("slow", smtpsink.Reply451, 1)
	log := slog.New(slog.DiscardHandler)
	engine := mailer.NewEngine(compose.Engine(st), &mailer.Relay{Addr: sink.Addr, TLS: "none"}, outgoing.NewBuilder(outgoing.NewLinks("https://sesame.test", []byte("k"))),
		clock, log, mailer.EngineConfig{Owner: "rollup", BounceHost: testdb.BounceHost, ConnIdle: 100 * time.Millisecond, RecordInterval: 10 * time.Millisecond})
	deliver := func() {
		t.Helper()
		if err := engine.RunUntilIdle(ctx); err != nil {
			t.Fatal(err)
		}
	}

	sent, err := st.Queue.Enqueue(ctx, queue.EnqueueRequest{Sender: shop, Transactional: true,
		Content: queue.MessageContent{Subject: "Your order", HTML: `<p><a href="https://shop.test/order">Order</a></p>`, TrackOpens: true, TrackClicks: true},
		To:      []queue.Addressee{{Email: "ann@gmail.com"}, {Email: "bob@hotmail.com"}, {Email: "gone@yahoo.com"}, {Email: "slow@qq.com"}, {Email: "cy@dest.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	msg := map[string]queue.Message{}
	for _, m := range sent {
		msg[m.Recipient] = m
	}
	task := fixtures.QueueCampaign(t, st, news, "March news", []string{"dee@gmail.com", "eve@icloud.com", "gone2@163.com", "fay@gmail.com"})
	deliver()
	clock.Advance(2 * time.Hour) // 2 March: slow@ is retried and delivered
	deliver()

	tracker := mailer.NewTracker(st.Tracking, log, 10*time.Millisecond)
	trackCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- tracker.Run(trackCtx) }()
	at := clock.Now().Add(time.Minute) // past the scanners' seconds after slow@'s delivery
	person := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
	for _, e := range []tracking.Engagement{
		{UID: msg["ann@gmail.com"].UID, Kind: tracking.EngagementOpen, At: at, UserAgent: person},
		{UID: msg["ann@gmail.com"].UID, Kind: tracking.EngagementOpen, At: at.Add(time.Minute), UserAgent: person}, // again: one message opened
		{UID: msg["ann@gmail.com"].UID, Kind: tracking.EngagementClick, URL: "https://shop.test/order", At: at, UserAgent: person},
		{UID: msg["ann@gmail.com"].UID, Kind: tracking.EngagementClick, URL: "https://shop.test/order", At: at, UserAgent: person},
		{UID: msg["bob@hotmail.com"].UID, Kind: tracking.EngagementOpen, At: at, UserAgent: "Mozilla/5.0 (compatible; Mimecast)"}, // a machine
		{UID: msg["bob@hotmail.com"].UID, Kind: tracking.EngagementClick, URL: "https://shop.test/order", At: at, Prefetch: true},
		{UID: msg["slow@qq.com"].UID, Kind: tracking.EngagementClick, URL: "https://shop.test/order", At: at, UserAgent: person}, // a click without an open
	} {
		tracker.Record(e)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := st.Tracking.Unsubscribe(ctx, msg["ann@gmail.com"].UID, "one-click"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	ref := func(uid, domain string) queue.MessageRef { return queue.MessageRef{UID: uid, Domain: domain} }
	for _, b := range []queue.Bounce{
		{Message: ref(msg["cy@dest.test"].UID, "shop.test"), Hard: true, Status: "5.1.1", Diagnostic: "user unknown"},          // after its delivery
		{Message: ref(msg["bob@hotmail.com"].UID, "shop.test"), Status: "4.2.2", Diagnostic: "mailbox full", Fingerprint: "x"}, // soft: noted only
	} {
		if _, err := st.Queue.RecordBounce(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Queue.RecordComplaint(ctx, queue.Complaint{Message: ref(msg["ann@gmail.com"].UID, "shop.test"), FeedbackType: "abuse"}); err != nil {
		t.Fatal(err)
	}

	direct, clicks, err := fixtures.DirectCounts(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	// Requested 9; tried 9, of which 2 bounced at once and one late; one
	// deferral; 7 delivered; opened by a person 1, clicked 2; 1 unsubscribe
	// and 1 complaint: the direct count sees what happened.
	if want := (queue.StatsRow{Requested: 9, Accepted: 9, Delivered: 7, Deferred: 1, Bounced: 3, Opened: 1, Clicked: 2, Unsubscribed: 1, Complained: 1}); direct != want {
		t.Fatalf("direct count %+v, want %+v", direct, want)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	days, err := st.Queue.DailyVolumes(ctx, clock.Now().AddDate(0, 0, -2), clock.Now(), tokyo, queue.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := queue.Totals(days); got != direct {
		t.Errorf("rollup %+v\ndirect %+v", got, direct)
	}
	// The same from the rollup kept per domain and task (read when
	// filtering by them) as from the one summed over them.
	var perDomain []queue.Volume
	for _, d := range []uint64{shop.DomainID, news.DomainID} {
		days, err := st.Queue.DailyVolumes(ctx, clock.Now().AddDate(0, 0, -2), clock.Now(), tokyo, queue.StatsFilter{DomainID: d})
		if err != nil {
			t.Fatal(err)
		}
		perDomain = append(perDomain, days...)
	}
	if got := queue.Totals(perDomain); got != direct {
		t.Errorf("rollup per domain %+v\ndirect %+v", got, direct)
	}
	campaign, err := st.Queue.DailyVolumes(ctx, clock.Now().AddDate(0, 0, -2), clock.Now(), time.UTC, queue.StatsFilter{TaskID: task.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := queue.Totals(campaign); got.Requested != 4 || got.Bounced != 1 || got.Delivered != 3 {
		t.Errorf("campaign rollup %+v", got)
	}
	rep, err := st.Tracking.Dashboard(ctx, tracking.DashboardInput{Days: "7"}, tokyo, queue.DefaultWarnLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Links) != 1 || rep.Links[0].Clicks != clicks || clicks != 3 {
		t.Errorf("links %+v, %d clicks by people", rep.Links, clicks)
	}
}
