package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/mailer/webhook"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/models/webhooks"
)

// received is one request a test receiver got.
type received struct {
	EventID, Signature, Custom string
	Body                       webhooks.Body
	Raw                        string
}

// receiver is a local webhook receiver; answer says what to answer each
// request (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, r received) int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		got := received{EventID: r.Header.Get("X-Sesame-Event-Id"), Signature: r.Header.Get("X-Sesame-Signature"),
			Custom: r.Header.Get("X-Tencentcloudses-Cb-Custom"), Raw: string(raw)}
		if err := json.Unmarshal(raw, &got.Body); err != nil {
			t.Errorf("body %q: %v", raw, err)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		n, answer := len(rc.got), rc.answer
		rc.mu.Unlock()
		code := http.StatusOK
		if answer != nil {
			code = answer(n, got)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "thanks")
	}))
	t.Cleanup(rc.Close)
	return rc
}

// setAnswer changes what the receiver answers, safely while a request is
// being answered.
func (rc *receiver) setAnswer(answer func(n int, r received) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = answer
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// verify checks a signature the way the README tells receivers to.
func verify(t *testing.T, secret string, r received) {
	t.Helper()
	var ts string
	var sigs []string
	for _, part := range strings.Split(r.Signature, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + r.Raw))
	want := hex.EncodeToString(mac.Sum(nil))
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return
		}
	}
	t.Errorf("signature %q does not verify with the secret", r.Signature)
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func newPoster(st *store.Store, clock *clocktest.Clock, owner string, tune ...func(*webhook.Config)) *webhook.Poster {
	cfg := webhook.DefaultConfig
	cfg.Owner, cfg.Allow = owner, loopback
	for _, f := range tune {
		f(&cfg)
	}
	p := webhook.NewPoster(st.Webhooks, st.Queue, clock, slog.New(slog.DiscardHandler), cfg)
	posterStores.Store(p, st)
	return p
}

// posterStores is the store of each poster the tests made.
var posterStores sync.Map

// settled waits, on PostgreSQL, until every event recorded so far lies
// behind the feed's horizon: the oldest transaction running anywhere on
// the server, which the other test packages sharing it hold back now and
// then (a reader never passes it, so as not to skip a late commit).
func settled(t *testing.T, st *store.Store) {
	t.Helper()
	if st.DB.Dialect() != db.Postgres {
		return
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var behind bool
		if err := st.DB.Gorm.Raw(`SELECT COALESCE((SELECT MAX(txid) FROM message_events), 0) < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`).
			Scan(&behind).Error; err != nil {
			t.Fatal(err)
		}
		if behind {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("events still ahead of the oldest running transaction after a minute")
		}
	}
}

// drain runs rounds until one finds nothing more to post.
func drain(t *testing.T, p *webhook.Poster) {
	t.Helper()
	if st, ok := posterStores.Load(p); ok {
		settled(t, st.(*store.Store))
	}
	for range 100 {
		_, busy, err := p.Round(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !busy {
			return
		}
	}
	t.Fatal("the poster is still busy after 100 rounds")
}

func addEndpoint(t *testing.T, st *store.Store, in webhooks.EndpointInput) (*webhooks.Endpoint, string) {
	t.Helper()
	ep, secret, err := st.Webhooks.CreateEndpoint(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return ep, secret
}

func byEvent(rs []received) map[webhooks.Event][]received {
	out := map[webhooks.Event][]received{}
	for _, r := range rs {
		out[r.Body.Event] = append(out[r.Body.Event], r)
	}
	return out
}

// TestReceiverGetsEveryEventSigned: API and task mail's delivered, hard
// bounce, deferred, open, click and unsubscribe reach a local receiver,
// with Tencent's fields and a valid signature.
func TestReceiverGetsEveryEventSigned(t *testing.T) {
	st, clock := fixtures.Store(t)
	ctx := context.Background()
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	rc := newReceiver(t)
	_, secret := addEndpoint(t, st, webhooks.EndpointInput{URL: rc.URL + "/hooks", CustomValue: "tenant-7"})

	api := fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{"ann@example.org": models.StatusDelivered})
	task, msgs := fixtures.Campaign(t, st, sender, "Spring", []string{"bob@example.org", "cat@example.org", "dan@example.org"},
		map[string]fixtures.Outcome{
			"cat@example.org": {Status: models.StatusBounced, Reply: "550 5.1.1 <cat@example.org>: user unknown"},
			"dan@example.org": {Status: models.StatusDeferred, Reply: "451 4.7.1 try again later"},
		})
	bob := msgs["bob@example.org"]
	clock.Advance(time.Minute)
	if err := st.Tracking.RecordEngagement(ctx, []tracking.Engagement{
		{UID: bob.UID, Kind: tracking.EngagementOpen, At: clock.Now(), UserAgent: "Mozilla/5.0 (Macintosh)"},
		{UID: bob.UID, Kind: tracking.EngagementClick, URL: "https://shop.example/spring", At: clock.Now(), UserAgent: "Mozilla/5.0 (Macintosh)"},
		{UID: bob.UID, Kind: tracking.EngagementOpen, At: clock.Now(), UserAgent: "GoogleImageProxy preview bot"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Tracking.Unsubscribe(ctx, bob.UID, "one-click"); err != nil {
		t.Fatal(err)
	}
	drain(t, newPoster(st, clock, "p1"))

	got := byEvent(rc.requests())
	for _, r := range rc.requests() {
		verify(t, secret, r)
		if r.Custom != "tenant-7" || r.Body.Custom != "tenant-7" {
			t.Errorf("%s: custom value header %q, field %q", r.Body.Event, r.Custom, r.Body.Custom)
		}
		if r.Body.EventID != r.Body.Event.ID() || !strings.HasPrefix(r.EventID, "evt_") {
			t.Errorf("%s: eventid %d, X-Sesame-Event-Id %q", r.Body.Event, r.Body.EventID, r.EventID)
		}
		if r.Body.From != "news@shop.example" || r.Body.FromDomain != "shop.example" || r.Body.Timestamp == 0 || r.Body.SentTimestamp == 0 {
			t.Errorf("%s: %+v", r.Body.Event, r.Body)
		}
	}
	want := map[webhooks.Event]int{webhooks.EventDelivered: 2, webhooks.EventBounce: 1, webhooks.EventDeferred: 1,
		webhooks.EventOpen: 1, webhooks.EventClick: 1, webhooks.EventUnsubscribe: 1}
	for ev, n := range want {
		if len(got[ev]) != n {
			t.Errorf("%s: %d requests, want %d", ev, len(got[ev]), n)
		}
	}
	if len(rc.requests()) != 7 {
		t.Errorf("%d requests, want 7 (the machine open left out)", len(rc.requests()))
	}
	for _, r := range got[webhooks.EventDelivered] {
		switch r.Body.Email {
		case "ann@example.org":
			m := api["ann@example.org"]
			if r.Body.BulkID != m.UID || r.Body.TaskID != 0 || r.Body.Subject != "Hello" || r.Body.MessageID != m.UID+"@shop.example" {
				t.Errorf("API mail: %+v", r.Body)
			}
		case "bob@example.org":
			if r.Body.BulkID != bob.UID || r.Body.TaskID != task.ID || r.Body.TemplateID == 0 || r.Body.Subject == "" {
				t.Errorf("task mail: %+v", r.Body)
			}
		default:
			t.Errorf("delivered to %s", r.Body.Email)
		}
	}
	if b := got[webhooks.EventBounce][0].Body; b.Email != "cat@example.org" || b.BounceType != "hard_bounce" || !strings.HasPrefix(b.Reason, "550 5.1.1") {
		t.Errorf("bounce: %+v", b)
	}
	if b := got[webhooks.EventDeferred][0].Body; b.Email != "dan@example.org" || !strings.HasPrefix(b.Reason, "451") {
		t.Errorf("deferred: %+v", b)
	}
	if b := got[webhooks.EventClick][0].Body; b.Link != "https://shop.example/spring" || b.UserAgent != "Mozilla/5.0 (Macintosh)" {
		t.Errorf("click: %+v", b)
	}
	if b := got[webhooks.EventOpen][0].Body; b.UserAgent != "Mozilla/5.0 (Macintosh)" || b.Email != "bob@example.org" {
		t.Errorf("open: %+v", b)
	}

	// Nothing new: nothing is posted again.
	drain(t, newPoster(st, clock, "p1"))
	if len(rc.requests()) != 7 {
		t.Errorf("%d requests after a second pass, want 7", len(rc.requests()))
	}
}

// TestRequestsMessagesShareTheirBulkID: every message of one API request
// is posted with the uid of its first, also when they are read in
// separate batches (the poster keeps what it learnt of the request).
func TestRequestsMessagesShareTheirBulkID(t *testing.T) {
	st, clock := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	rc := newReceiver(t)
	addEndpoint(t, st, webhooks.EndpointInput{URL: rc.URL, Events: "delivered"})
	sent := fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{
		"ann@example.org": models.StatusDelivered, "bob@example.org": models.StatusDelivered, "cat@example.org": models.StatusDelivered})
	first := sent["ann@example.org"]
	for _, m := range sent {
		if m.ID < first.ID {
			first = m
		}
	}
	cfg := webhook.DefaultConfig
	cfg.Owner, cfg.Allow, cfg.Batch = "p1", loopback, 1 // one event a round
	p := webhook.NewPoster(st.Webhooks, st.Queue, clock, slog.New(slog.DiscardHandler), cfg)
	settled(t, st)
	for range len(sent) {
		if _, _, err := p.Round(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	rs := rc.requests()
	if len(rs) != len(sent) {
		t.Fatalf("%d requests, want %d", len(rs), len(sent))
	}
	for _, r := range rs {
		if r.Body.BulkID != first.UID {
			t.Errorf("%s: bulkId %q, want the first message's %q", r.Body.Email, r.Body.BulkID, first.UID)
		}
	}
}

// TestFailedPostIsRetriedWithTheSameEventID: a receiver answering 500
// twice gets the event on the third try, on the schedule, with the same
// event id; the log holds three attempts.
func TestFailedPostIsRetriedWithTheSameEventID(t *testing.T) {
	st, clock := fixtures.Store(t)
	ctx := context.Background()
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ received) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	ep, _ := addEndpoint(t, st, webhooks.EndpointInput{URL: rc.URL, Events: "delivered"})
	fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{"ann@example.org": models.StatusDelivered})
	p := newPoster(st, clock, "p1")
	drain(t, p)
	// Not due yet: nothing more.
	clock.Advance(5 * time.Second)
	drain(t, p)
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests before the first retry is due, want 1", n)
	}
	clock.Advance(5 * time.Second) // the first retry, after 10 s
	drain(t, p)
	clock.Advance(time.Minute) // the second, a minute later
	drain(t, p)
	rs := rc.requests()
	if len(rs) != 3 {
		t.Fatalf("%d requests, want 3", len(rs))
	}
	for _, r := range rs[1:] {
		if r.EventID != rs[0].EventID || r.Raw != rs[0].Raw {
			t.Errorf("retry %q %s differs from the first %q %s", r.EventID, r.Raw, rs[0].EventID, rs[0].Raw)
		}
	}
	log, attempts, _, err := st.Webhooks.DeliveryLog(ctx, webhooks.DeliveryFilter{EndpointID: ep.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Status != webhooks.DeliveryDelivered || len(attempts[log[0].ID]) != 3 {
		t.Fatalf("log %+v, attempts %+v", log, attempts)
	}
	if a := attempts[log[0].ID]; a[0].StatusCode != 500 || a[2].StatusCode != 200 || a[2].Response != "thanks" {
		t.Errorf("attempts %+v", a)
	}
	ep, _ = st.Webhooks.GetEndpoint(ctx, ep.ID)
	if ep.FailingSince != nil || ep.LastSuccessAt == nil {
		t.Errorf("endpoint health after the success: failing since %v, last success %v", ep.FailingSince, ep.LastSuccessAt)
	}
}

// TestFailingEndpointGivesUpAfterADayAndIsSwitchedOff: an event retried
// for 24 hours is failed, the endpoint switched off; replaying it once the
// endpoint is back delivers it, and the events that waited meanwhile follow.
func TestFailingEndpointGivesUpAfterADayAndIsSwitchedOff(t *testing.T) {
	st, clock := fixtures.Store(t)
	ctx := context.Background()
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	rc := newReceiver(t)
	rc.setAnswer(func(int, received) int { return http.StatusServiceUnavailable })
	ep, _ := addEndpoint(t, st, webhooks.EndpointInput{URL: rc.URL, Events: "delivered"})
	fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{"ann@example.org": models.StatusDelivered})
	p := newPoster(st, clock, "p1")
	drain(t, p)
	fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{"bob@example.org": models.StatusDelivered})
	for range 30 { // an hour apart, past the 6 h steps
		clock.Advance(time.Hour)
		drain(t, p)
	}
	ep, _ = st.Webhooks.GetEndpoint(ctx, ep.ID)
	if !ep.SwitchedOff() {
		t.Fatalf("endpoint not switched off: %+v", ep)
	}
	for _, r := range rc.requests() {
		if r.Body.Email != "ann@example.org" {
			t.Fatalf("%s posted while the endpoint was failing", r.Body.Email)
		}
	}
	// The schedule: 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, then every 6 h.
	if n := len(rc.requests()); n < 7 || n > 10 {
		t.Errorf("%d attempts in a day", n)
	}
	log, _, _, _ := st.Webhooks.DeliveryLog(ctx, webhooks.DeliveryFilter{EndpointID: ep.ID, Status: webhooks.DeliveryFailed})
	if len(log) != 1 {
		t.Fatalf("failed deliveries %+v", log)
	}
	rc.setAnswer(nil)
	before := len(rc.requests())
	if err := st.Webhooks.SetEnabled(ctx, ep.ID, true); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Webhooks.ReplayFailed(ctx, ep.ID, clock.Now().Add(-48*time.Hour), clock.Now()); err != nil || n != 1 {
		t.Fatalf("replayed %d: %v", n, err)
	}
	drain(t, p)
	var emails []string
	for _, r := range rc.requests()[before:] {
		emails = append(emails, r.Body.Email)
	}
	if strings.Join(emails, ",") != "ann@example.org,bob@example.org" {
		t.Errorf("after the replay: %v", emails)
	}
}

// TestSenderEndpointsReplaceTheAccounts: an address with endpoints of its
// own is heard by those only; the account's hear every other address.
func TestSenderEndpointsReplaceTheAccounts(t *testing.T) {
	st, clock := fixtures.Store(t)
	dns := dnstest.Start(t)
	news := fixtures.Sender(t, st, dns, "news@shop.example", "Shop")
	billing := fixtures.Sender(t, st, dns, "billing@shop.example", "Billing")
	account, own := newReceiver(t), newReceiver(t)
	addEndpoint(t, st, webhooks.EndpointInput{URL: account.URL})
	addEndpoint(t, st, webhooks.EndpointInput{URL: own.URL, SenderEmail: "billing@shop.example"})
	fixtures.Sent(t, st, news, true, map[string]models.MessageStatus{"ann@example.org": models.StatusDelivered})
	fixtures.Sent(t, st, billing, true, map[string]models.MessageStatus{"bob@example.org": models.StatusDelivered})
	drain(t, newPoster(st, clock, "p1"))
	if rs := account.requests(); len(rs) != 1 || rs[0].Body.From != "news@shop.example" {
		t.Errorf("the account's endpoint got %+v", rs)
	}
	if rs := own.requests(); len(rs) != 1 || rs[0].Body.From != "billing@shop.example" {
		t.Errorf("billing's endpoint got %+v", rs)
	}
}

// TestTwoPostersNeverPostAnEventTwice: two processes on one database share
// the endpoints by lease; each event is posted once.
func TestTwoPostersNeverPostAnEventTwice(t *testing.T) {
	st, clock := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	var rcs []*receiver
	for range 4 {
		rc := newReceiver(t)
		rcs = append(rcs, rc)
		addEndpoint(t, st, webhooks.EndpointInput{URL: rc.URL, Events: "delivered"})
	}
	outcome := map[string]models.MessageStatus{}
	for _, r := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		outcome[r+"@example.org"] = models.StatusDelivered
	}
	fixtures.Sent(t, st, sender, true, outcome)
	p1, p2 := newPoster(st, clock, "p1"), newPoster(st, clock, "p2")
	settled(t, st)
	var wg sync.WaitGroup
	for _, p := range []*webhook.Poster{p1, p2} {
		wg.Go(func() {
			for range 5 {
				if _, _, err := p.Round(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for i, rc := range rcs {
		seen := map[string]int{}
		for _, r := range rc.requests() {
			seen[r.EventID]++
		}
		if len(seen) != len(outcome) {
			t.Errorf("receiver %d got %d events, want %d", i, len(seen), len(outcome))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("receiver %d got %s %d times", i, id, n)
			}
		}
	}
}

// TestCrashBeforeRecordingLosesNoEvent: a process that dies after posting
// and before recording (kill -9 in a burst) loses nothing: once its lease
// runs out, another process posts the events again, with their ids.
func TestCrashBeforeRecordingLosesNoEvent(t *testing.T) {
	st, clock := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	rc := newReceiver(t)
	addEndpoint(t, st, webhooks.EndpointInput{URL: rc.URL, Events: "delivered"})
	outcome := map[string]models.MessageStatus{}
	for _, r := range []string{"a", "b", "c", "d", "e", "f"} {
		outcome[r+"@example.org"] = models.StatusDelivered
	}
	fixtures.Sent(t, st, sender, true, outcome)
	// The first process dies after three posts: its context ends, so it
	// records nothing, as if killed.
	ctx, kill := context.WithCancel(context.Background())
	rc.setAnswer(func(n int, _ received) int {
		if n == 3 {
			kill()
		}
		return http.StatusOK
	})
	settled(t, st)
	// One post at a time, so that the dead process really leaves three
	// events unposted for the other to take over.
	dead := newPoster(st, clock, "dead", func(c *webhook.Config) { c.Parallel = 1 })
	if _, _, err := dead.Round(ctx); err == nil {
		t.Fatal("the killed round reported no error")
	}
	rc.setAnswer(nil)
	// Another process waits for the lease to run out, then posts them all.
	other := newPoster(st, clock, "alive")
	drain(t, other)
	if n := len(rc.requests()); n > 6 {
		t.Fatalf("the lease was taken over early: %d requests", n)
	}
	clock.Advance(webhook.DefaultConfig.Lease + time.Second)
	drain(t, other)
	seen := map[string]bool{}
	for _, r := range rc.requests() {
		seen[r.Body.Email] = true
	}
	if len(seen) != len(outcome) {
		t.Errorf("events of %d recipients arrived, want %d: %v", len(seen), len(outcome), seen)
	}
}

// TestRotatedSecretSignsBesideTheNewOneForADay: after a rotation both
// secrets sign, so receivers switch without refusing anything; a day
// later only the new one does.
func TestRotatedSecretSignsBesideTheNewOneForADay(t *testing.T) {
	st, clock := fixtures.Store(t)
	ctx := context.Background()
	rc := newReceiver(t)
	ep, old := addEndpoint(t, st, webhooks.EndpointInput{URL: rc.URL, Secret: "an old secret of mine"})
	fresh, err := st.Webhooks.RotateSecret(ctx, ep.ID)
	if err != nil || fresh == old {
		t.Fatalf("rotate: %q, %v", fresh, err)
	}
	p := newPoster(st, clock, "p1")
	test := func() received {
		t.Helper()
		ep, _ := st.Webhooks.GetEndpoint(ctx, ep.ID)
		if a, err := p.Test(ctx, ep); err != nil || !a.OK() {
			t.Fatalf("test event: %+v, %v", a, err)
		}
		rs := rc.requests()
		return rs[len(rs)-1]
	}
	r := test()
	verify(t, old, r)
	verify(t, fresh, r)
	clock.Advance(webhooks.RotationGrace + time.Minute)
	r = test()
	verify(t, fresh, r)
	if strings.Count(r.Signature, "v1=") != 1 {
		t.Errorf("after the grace: %s", r.Signature)
	}
}
