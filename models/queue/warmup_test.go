package queue_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
)

func TestCustomWarmupPlans(t *testing.T) {
	st, _ := fixtures.Store(t)
	for _, c := range []struct {
		in          queue.NewWarmupPlan
		field, want string
	}{
		{queue.NewWarmupPlan{Name: "", Quotas: "100"}, "name", "Enter a name of at most 64 characters."},
		{queue.NewWarmupPlan{Name: strings.Repeat("x", 65), Quotas: "100"}, "name", "Enter a name of at most 64 characters."},
		{queue.NewWarmupPlan{Name: "Standard", Quotas: "100"}, "name", `"standard" and "none" are built in; choose another name.`},
		{queue.NewWarmupPlan{Name: "tab\tplan", Quotas: "100"}, "name", "Use letters, digits, spaces and punctuation only."},
		{queue.NewWarmupPlan{Name: "ramp", Quotas: " , "}, "quotas", "Give between 1 and 365 daily quotas, such as 100, 200, 400, 800."},
		{queue.NewWarmupPlan{Name: "ramp", Quotas: strings.Repeat("1,", 366)}, "quotas", "Give between 1 and 365 daily quotas, such as 100, 200, 400, 800."},
		{queue.NewWarmupPlan{Name: "ramp", Quotas: "100, lots"}, "quotas", `"lots" is not a daily quota: each is a whole number from 1 to 100000000 (write 1000 or 1_000, not 1,000), separated by commas.`},
		{queue.NewWarmupPlan{Name: "ramp", Quotas: "100, 1,000"}, "quotas", `"000" is not a daily quota: each is a whole number from 1 to 100000000 (write 1000 or 1_000, not 1,000), separated by commas.`},
		{queue.NewWarmupPlan{Name: "ramp", Quotas: "100, -5"}, "quotas", `"-5" is not a daily quota: each is a whole number from 1 to 100000000 (write 1000 or 1_000, not 1,000), separated by commas.`},
		{queue.NewWarmupPlan{Name: "ramp", Quotas: "100000001"}, "quotas", `"100000001" is not a daily quota: each is a whole number from 1 to 100000000 (write 1000 or 1_000, not 1,000), separated by commas.`},
	} {
		_, err := st.Queue.CreateWarmupPlan(ctx, c.in)
		if got := fixtures.FieldErrors(t, err)[c.field]; got != c.want {
			t.Errorf("%+v: %s: %q", c.in, c.field, got)
		}
	}
	p, err := st.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: " ramp ", Quotas: "100, 200;400\n1_000 "})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "ramp" || !slices.Equal(p.Days(), []int{100, 200, 400, 1000}) {
		t.Errorf("stored %q %v", p.Name, p.Days())
	}
	_, err = st.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "ramp", Quotas: "5"})
	if got := fixtures.FieldErrors(t, err)["name"]; got != "A plan named ramp exists already." {
		t.Errorf("duplicate: %q", got)
	}
	plans, err := st.Queue.ListWarmupPlans(ctx)
	if err != nil || len(plans) != 1 || plans[0].Name != "ramp" {
		t.Errorf("plans %v %v", plans, err)
	}
}

// warmupWorld is a store on a manual clock (Sunday 1 March 2026, 09:00 UTC)
// with a verified domain to send bulk mail from and a plan "tiny" of 5, 10,
// 20 and 40 messages a day, small enough to keep the tests quick.
type warmupWorld struct {
	t      *testing.T
	st     *store.Store
	clock  *clocktest.Clock
	sender *identity.SenderAddress
	next   int
}

func newWarmupWorld(t *testing.T) *warmupWorld {
	t.Helper()
	st, clock := fixtures.Store(t)
	fixtures.Domain(t, st, "example.test")
	sender, err := st.Senders.CreateSender(ctx, "news@example.test", "News")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "tiny", Quotas: "5, 10, 20, 40"}); err != nil {
		t.Fatal(err)
	}
	return &warmupWorld{t: t, st: st, clock: clock, sender: sender}
}

// enqueue queues n bulk messages to fresh recipients.
func (w *warmupWorld) enqueue(n int) {
	w.t.Helper()
	req := queue.EnqueueRequest{Sender: w.sender, Content: queue.MessageContent{Subject: "Hi", Text: "Hello"}}
	for range n {
		w.next++
		req.To = append(req.To, queue.Addressee{Email: "r" + strconv.Itoa(w.next) + "@dest.test"})
	}
	if _, err := w.st.Queue.Enqueue(ctx, req); err != nil {
		w.t.Fatal(err)
	}
}

// send claims every due message, as a delivery round does, and records
// them delivered except the first bounced ones, which hard-bounce.
func (w *warmupWorld) send(bounced int) int {
	w.t.Helper()
	msgs, err := w.st.Queue.ClaimMessages(ctx, "test", 1_000, time.Minute)
	if err != nil {
		w.t.Fatal(err)
	}
	results := make([]queue.DeliveryResult, len(msgs))
	for i := range msgs {
		results[i] = queue.DeliveryResult{Message: &msgs[i], Status: models.StatusDelivered, Reply: "250 OK"}
		if i < bounced {
			results[i] = queue.DeliveryResult{Message: &msgs[i], Status: models.StatusBounced, Reply: "550 no such user", HardBounce: true}
		}
	}
	if err := w.st.Queue.RecordResults(ctx, "test", results); err != nil {
		w.t.Fatal(err)
	}
	return len(msgs)
}

// status is one subject's line of the overview ("" names the default route).
func (w *warmupWorld) status(kind queue.WarmupSubjectKind, name string) queue.WarmupStatus {
	w.t.Helper()
	all, err := w.st.Queue.WarmupOverview(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, s := range all {
		if s.Kind == kind && s.Name == name {
			return s
		}
	}
	w.t.Fatalf("no %s %q in the overview", kind, name)
	return queue.WarmupStatus{}
}

func (w *warmupWorld) set(kind queue.WarmupSubjectKind, name string, ch queue.WarmupChange) error {
	w.t.Helper()
	return w.st.Queue.SetWarmup(ctx, kind, w.status(kind, name).ID, ch)
}

// today writes a status's today as "plan day N: used/quota, unsent U,
// waiting W, hold": U bulk messages not sent yet, W of them waiting for a
// later day's quota.
func today(s queue.WarmupStatus) string {
	return s.Plan + " day " + strconv.Itoa(s.Day) + ": " + strconv.Itoa(s.Used) + "/" + strconv.Itoa(s.Quota) +
		", unsent " + strconv.Itoa(s.Forecast.Unsent) + ", waiting " + strconv.Itoa(s.Forecast.WaitingForQuota()) + ", hold " + strconv.Quote(s.HoldReason)
}

func TestWarmupOverviewFollowsTheDays(t *testing.T) {
	w := newWarmupWorld(t)
	d := w.status(queue.WarmupDomain, "example.test")
	if got := today(d); got != `standard day 1: 0/500, unsent 0, waiting 0, hold ""` || d.PlanDays != 20 {
		t.Errorf("fresh domain: %s", got)
	}
	if len(d.History) != queue.WarmupHistoryDays || d.History[0].Date.Format(time.DateOnly) != "2026-01-31" ||
		d.History[29].Date.Format(time.DateOnly) != "2026-03-01" || d.History[29].Recorded {
		t.Errorf("history of a fresh domain: %+v … %+v", d.History[0], d.History[29])
	}
	if err := w.set(queue.WarmupDomain, "example.test", queue.WarmupChange{Plan: "tiny"}); err != nil {
		t.Fatal(err)
	}

	// Day 1: 6 queued, 5 go out, 1 waits for tomorrow.
	w.enqueue(6)
	if n := w.send(0); n != 5 {
		t.Fatalf("day 1 sent %d", n)
	}
	d = w.status(queue.WarmupDomain, "example.test")
	if got := today(d); got != `tiny day 1: 5/5, unsent 1, waiting 1, hold ""` {
		t.Errorf("day 1: %s", got)
	}
	if last := d.History[29]; !last.Recorded || last.Quota != 5 || last.Sent != 5 {
		t.Errorf("day 1 history: %+v", last)
	}
	if got := days(d.Forecast); got != "03-02:1" || d.Forecast.Unsent != 1 {
		t.Errorf("day 1 forecast: %q", got)
	}
	// The default route sends for every domain without a dedicated IP; it
	// has no limit, but what waits for it waits for the domain's quota.
	if ip := w.status(queue.WarmupIP, ""); !ip.Unlimited || ip.Forecast.WaitingForQuota() != 1 || ip.Label != "Default route" || days(ip.Forecast) != "03-02:1" {
		t.Errorf("default route: %s, forecast %q", today(ip), days(ip.Forecast))
	}

	// Day 2: the day moves on with the first send; 1 of 10 hard-bounces.
	// Before it, the message left over from day 1 is unsent but no longer
	// waits: day 2's quota lets it go.
	w.clock.Advance(24 * time.Hour)
	if got := today(w.status(queue.WarmupDomain, "example.test")); got != `tiny day 2: 0/10, unsent 1, waiting 0, hold ""` {
		t.Errorf("day 2 before sending: %s", got)
	}
	w.enqueue(10)
	if n := w.send(1); n != 10 {
		t.Fatalf("day 2 sent %d", n)
	}
	if got := today(w.status(queue.WarmupDomain, "example.test")); got != `tiny day 2: 10/10, unsent 1, waiting 1, hold ""` {
		t.Errorf("day 2: %s", got)
	}

	// Day 3 holds day 2, and says why before and after its first send.
	w.clock.Advance(24 * time.Hour)
	hold := `hold "Holding day 2: 2026-03-02 had a hard-bounce rate of 10.0% (limit 5%)."`
	if got := today(w.status(queue.WarmupDomain, "example.test")); got != `tiny day 2: 0/10, unsent 1, waiting 0, `+hold {
		t.Errorf("day 3 before sending: %s", got)
	}
	w.send(0)
	d = w.status(queue.WarmupDomain, "example.test")
	if got := today(d); got != `tiny day 2: 1/10, unsent 0, waiting 0, `+hold {
		t.Errorf("day 3: %s", got)
	}
	var sent []int
	for _, h := range d.History[27:] {
		sent = append(sent, h.Sent)
	}
	if !slices.Equal(sent, []int{5, 10, 1}) {
		t.Errorf("sent per day: %v", sent)
	}
}

func TestSetWarmupValidates(t *testing.T) {
	w := newWarmupWorld(t)
	invalid := func(ch queue.WarmupChange, field, want string) {
		t.Helper()
		if got := fixtures.FieldErrors(t, w.set(queue.WarmupDomain, "example.test", ch))[field]; got != want {
			t.Errorf("%+v: %s: %q", ch, field, got)
		}
	}
	invalid(queue.WarmupChange{Plan: " "}, "plan", "Choose a plan: standard, none, or a custom plan.")
	invalid(queue.WarmupChange{Plan: "gentle"}, "plan", `There is no plan named "gentle". Choose standard, none, or a custom plan (custom plans: tiny).`)
	if _, err := w.st.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "ramp", Quotas: "100, 200, 400, 800"}); err != nil {
		t.Fatal(err)
	}
	invalid(queue.WarmupChange{Plan: "gentle"}, "plan", `There is no plan named "gentle". Choose standard, none, or a custom plan (custom plans: ramp, tiny).`)
	invalid(queue.WarmupChange{Plan: "ramp", Day: "5"}, "day", "The ramp plan has 4 days: choose a day from 1 to 4.")
	invalid(queue.WarmupChange{Plan: "standard", Day: "21"}, "day", "The standard plan has 20 days: choose a day from 1 to 20.")
	for _, day := range []string{"-1", "0", "three", "2.5"} {
		invalid(queue.WarmupChange{Plan: "standard", Day: day}, "day", "Enter the day as a whole number from 1, or leave it empty to keep the current day.")
	}
	// Both fields are checked at once.
	if errs := fixtures.FieldErrors(t, w.set(queue.WarmupDomain, "example.test", queue.WarmupChange{Plan: "", Day: "x"})); len(errs) != 2 {
		t.Errorf("empty plan and bad day: %v", errs)
	}
	invalid(queue.WarmupChange{Plan: "none", Day: "2"}, "day", "Without warm-up there is no plan day: leave the day empty.")
	if err := w.st.Queue.SetWarmup(ctx, queue.WarmupDomain, 9999, queue.WarmupChange{Plan: "none"}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("unknown domain: %v", err)
	}
	if err := w.st.Queue.SetWarmup(ctx, "planet", 1, queue.WarmupChange{Plan: "none"}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("unknown kind: %v", err)
	}
	if got := today(w.status(queue.WarmupDomain, "example.test")); got != `standard day 1: 0/500, unsent 0, waiting 0, hold ""` {
		t.Errorf("refused changes changed the domain: %s", got)
	}
}

func TestSetWarmupPlanAndDay(t *testing.T) {
	w := newWarmupWorld(t)
	if _, err := w.st.Queue.CreateWarmupPlan(ctx, queue.NewWarmupPlan{Name: "slow", Quotas: "2, 3"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Domains.AddDomain(ctx, "quiet.test", 1024); err != nil {
		t.Fatal(err)
	}
	if err := w.set(queue.WarmupDomain, "example.test", queue.WarmupChange{Plan: "tiny"}); err != nil {
		t.Fatal(err)
	}
	w.enqueue(6)
	w.send(0)

	// Day 2 of slow: today's quota is 3 at once, and 5 are spent already.
	if err := w.set(queue.WarmupDomain, "example.test", queue.WarmupChange{Plan: "slow", Day: "2"}); err != nil {
		t.Fatal(err)
	}
	d := w.status(queue.WarmupDomain, "example.test")
	if got := today(d); got != `slow day 2: 5/3, unsent 1, waiting 1, hold ""` || d.PlanDays != 2 || d.DayLabel() != "2 of 2" {
		t.Errorf("after setting slow day 2: %s (%s)", got, d.DayLabel())
	}
	if h := d.History[29]; h.Quota != 3 {
		t.Errorf("today's usage keeps quota %d", h.Quota)
	}
	w.enqueue(1)
	if n := w.send(0); n != 0 {
		t.Errorf("%d sent over the new quota", n)
	}
	if got := days(w.status(queue.WarmupDomain, "example.test").Forecast); got != "03-02:2" {
		t.Errorf("forecast %q", got)
	}
	// A day set on a domain that then sends nothing stays that day.
	if err := w.set(queue.WarmupDomain, "quiet.test", queue.WarmupChange{Plan: "standard", Day: "5"}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(24 * time.Hour)
	d = w.status(queue.WarmupDomain, "example.test")
	if got := today(d); got != `slow day 3: 0/3, unsent 2, waiting 0, hold ""` || d.DayLabel() != "3, plan complete" {
		t.Errorf("the day after: %s (%s)", got, d.DayLabel())
	}
	if got := today(w.status(queue.WarmupDomain, "quiet.test")); got != `standard day 5: 0/10000, unsent 0, waiting 0, hold ""` {
		t.Errorf("a quiet domain: %s", got)
	}
	// Keeping the day while changing the plan; then no warm-up at all.
	if err := w.set(queue.WarmupDomain, "quiet.test", queue.WarmupChange{Plan: "tiny"}); err != nil {
		t.Fatal(err)
	}
	if got := today(w.status(queue.WarmupDomain, "quiet.test")); got != `tiny day 5: 0/40, unsent 0, waiting 0, hold ""` {
		t.Errorf("plan changed, day kept: %s", got)
	}
	if err := w.set(queue.WarmupDomain, "example.test", queue.WarmupChange{Plan: "none"}); err != nil {
		t.Fatal(err)
	}
	d = w.status(queue.WarmupDomain, "example.test")
	if !d.Unlimited || d.Day != 0 || d.Quota != 0 || d.DayLabel() != "—" || days(d.Forecast) != "03-02:2" {
		t.Errorf("without warm-up: %+v", d)
	}
	if n := w.send(0); n != 2 {
		t.Errorf("without warm-up %d of 2 went out", n)
	}
}

func TestWarmupOverviewOfADedicatedIP(t *testing.T) {
	w := newWarmupWorld(t)
	ip, err := w.st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.IPs.UpdateSendingIP(ctx, ip.ID, identity.SendingIPChange{HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated, DomainIDs: []uint64{w.sender.DomainID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.Domains.AddDomain(ctx, "other.test", 1024); err != nil {
		t.Fatal(err)
	}
	if err := w.set(queue.WarmupIP, "127.0.0.2", queue.WarmupChange{Plan: "tiny"}); err != nil {
		t.Fatal(err)
	}
	if err := w.set(queue.WarmupDomain, "example.test", queue.WarmupChange{Plan: "none"}); err != nil {
		t.Fatal(err)
	}
	w.enqueue(6)
	if n := w.send(0); n != 5 {
		t.Fatalf("the IP's first day sent %d", n)
	}
	if ip := w.status(queue.WarmupIP, "127.0.0.2"); today(ip) != `tiny day 1: 5/5, unsent 1, waiting 1, hold ""` || days(ip.Forecast) != "03-02:1" {
		t.Errorf("dedicated IP: %s, forecast %q", today(ip), days(ip.Forecast))
	}
	// The domain has no limit of its own, but its IP has.
	if d := w.status(queue.WarmupDomain, "example.test"); !d.Unlimited || d.Forecast.WaitingForQuota() != 1 || days(d.Forecast) != "03-02:1" {
		t.Errorf("domain on a warming IP: %s, forecast %q", today(d), days(d.Forecast))
	}
	if r := w.status(queue.WarmupIP, ""); r.Forecast.Unsent != 0 {
		t.Errorf("the default route has %d unsent", r.Forecast.Unsent)
	}

	for _, raw := range []string{" 127.0.0.2 ", "::ffff:127.0.0.2"} {
		if got, err := w.st.IPs.GetSendingIPByAddress(ctx, raw); err != nil || got.ID != ip.ID {
			t.Errorf("%q: %v %v", raw, got, err)
		}
	}
	for _, raw := range []string{"nope", "127.0.0.9", ""} {
		if _, err := w.st.IPs.GetSendingIPByAddress(ctx, raw); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%q: %v", raw, err)
		}
	}
}
