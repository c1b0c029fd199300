package identity_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

func TestSPFIncludeMode(t *testing.T) {
	cfg := testdb.Config(t)
	cfg.Identity.SPFInclude = "_spf.sesame.test"
	st := testdb.OpenConfig(t, cfg)
	srv := dnstest.Start(t)
	res, _ := mailer.NewResolver(srv.Addr, time.Second)
	d, err := st.Domains.AddDomain(ctx, "example.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := st.Domains.DomainRecords(ctx, d)
	if recs[1].Value != "v=spf1 include:_spf.sesame.test ~all" {
		t.Fatalf("expected SPF %q", recs[1].Value)
	}
	srv.Set(t, `example.test. 300 IN TXT "v=spf1 include:_spf.google.test ~all"`, `_spf.google.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"`)
	_, recs, _ = st.Domains.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != identity.RecordFail || recs[1].Explanation != "Does not include _spf.sesame.test. Add include:_spf.sesame.test to this record." {
		t.Errorf("without the include: %s %q", recs[1].Status, recs[1].Explanation)
	}
	srv.Set(t, `example.test. 300 IN TXT "v=spf1 include:_spf.google.test include:_spf.sesame.test ~all"`, `_spf.sesame.test. 300 IN TXT "v=spf1 ip4:203.0.113.0/24 ~all"`)
	_, recs, _ = st.Domains.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != identity.RecordPass {
		t.Errorf("with the include: %s %q", recs[1].Status, recs[1].Explanation)
	}
}

func TestDefaultRouteSPFUsesTheBounceHost(t *testing.T) {
	st, _ := fixtures.Store(t)
	srv := dnstest.Start(t)
	res, _ := mailer.NewResolver(srv.Addr, time.Second)
	d, _ := st.Domains.AddDomain(ctx, "example.test", 0)
	recs, _ := st.Domains.DomainRecords(ctx, d)
	if recs[1].Value != "v=spf1 a:"+testdb.BounceHost+" ~all" {
		t.Fatalf("SPF with only the default route: %q", recs[1].Value)
	}
	srv.Set(t, "mail.sesame.test. 300 IN A 198.51.100.7", `example.test. 300 IN TXT "v=spf1 a:mail.sesame.test ~all"`)
	_, recs, _ = st.Domains.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != identity.RecordPass {
		t.Errorf("a:bounce-host: %s %q", recs[1].Status, recs[1].Explanation)
	}
	srv.Set(t, `example.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`)
	_, recs, _ = st.Domains.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != identity.RecordPass {
		t.Errorf("covering prefix: %s %q", recs[1].Status, recs[1].Explanation)
	}
}

func TestSenderAddresses(t *testing.T) {
	st, _ := fixtures.Store(t)
	if _, err := st.Domains.AddDomain(ctx, "pending.test", 1024); err != nil {
		t.Fatal(err)
	}
	fixtures.Domain(t, st, "example.test")

	for email, want := range map[string]string{
		"news@pending.test": "pending.test is not verified yet: publish its DNS records and check again.",
		"news@other.test":   "other.test is not a sending domain here. An admin must add and verify it first.",
		"not an address":    "The address is not a valid email address.",
	} {
		_, err := st.Senders.CreateSender(ctx, email, "News")
		if got := fixtures.FieldErrors(t, err)["email"]; got != want {
			t.Errorf("%s: %q", email, got)
		}
	}
	for name, want := range map[string]string{
		"News: daily":        "A display name cannot contain :, < or >.",
		"News\r\nBcc: x@y":   "A display name cannot contain :, < or >.",
		"News\r\nX-Evil 1":   "A display name cannot contain line breaks or control characters.",
		string([]byte{0xff}): "The display name is not valid text.",
	} {
		_, err := st.Senders.CreateSender(ctx, "news@example.test", name)
		if got := fixtures.FieldErrors(t, err)["display_name"]; got != want {
			t.Errorf("%q: %q", name, got)
		}
	}
	a, err := st.Senders.CreateSender(ctx, "News@Example.TEST", "Example News")
	if err != nil || a.Email != "News@example.test" {
		t.Fatalf("create: %+v %v", a, err)
	}
	if _, err := st.Senders.CreateSender(ctx, "News@example.test", ""); fixtures.FieldErrors(t, err)["email"] != "News@example.test is already a sender address." {
		t.Errorf("duplicate: %v", err)
	}

	for pw, want := range map[string]string{
		"short1":                 "Use 10 to 64 characters.",
		strings.Repeat("a1", 33): "Use 10 to 64 characters.",
		"tab\tin the middle":     "Use letters, digits, punctuation and spaces only.",
		"caf\u00e9 au lait 2026": "Use letters, digits, punctuation and spaces only.",
		"new\nline in it":        "Use letters, digits, punctuation and spaces only.",
	} {
		if got := fixtures.FieldErrors(t, st.Senders.SetSMTPPassword(ctx, a.ID, pw))["smtp_password"]; got != want {
			t.Errorf("password %q: %q", pw, got)
		}
	}
	// What Sesame refused before (letters only, spaces, 21 to 64
	// characters) is a good password.
	for _, pw := range []string{"onlyletters", "correct horse battery staple", "~!@#$%^&*()_+`-=[]{}|;':,./<>?", strings.Repeat("x", 64)} {
		if err := st.Senders.SetSMTPPassword(ctx, a.ID, pw); err != nil {
			t.Errorf("password %q: %v", pw, err)
		}
	}
	if _, err := st.Senders.AuthenticateSMTP(ctx, a.Email, strings.Repeat("x", 64)); err != nil {
		t.Errorf("a 64-character password: %v", err)
	}
	b, err := st.Senders.CreateSender(ctx, "other@example.test", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Senders.AuthenticateSMTP(ctx, b.Email, "anything12"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("auth without a password set: %v", err)
	}
	if err := st.Senders.SetSMTPPassword(ctx, a.ID, "Secret2026x"); err != nil {
		t.Fatal(err)
	}
	if err := st.Senders.SetSMTPPassword(ctx, a.ID, "Secret2026x"); !errors.Is(err, identity.ErrSamePassword) {
		t.Errorf("same password again: %v", err)
	}
	got, err := st.Senders.AuthenticateSMTP(ctx, "news@EXAMPLE.test", "Secret2026x")
	if err == nil {
		t.Errorf("local part is case-sensitive, yet %s authenticated", got.Email)
	}
	if _, err := st.Senders.AuthenticateSMTP(ctx, "News@example.test", "Secret2026x"); err != nil {
		t.Errorf("auth: %v", err)
	}
	if _, err := st.Senders.AuthenticateSMTP(ctx, "News@example.test", "Wrong2026xx"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	stored, _ := st.Senders.GetSender(ctx, a.ID)
	if stored.SMTPPasswordHash == "" || stored.SMTPPasswordHash == "Secret2026x" {
		t.Error("SMTP password not hashed")
	}
}

func TestSendingIPs(t *testing.T) {
	st, clock := fixtures.Store(t)
	a := fixtures.Domain(t, st, "a.test")
	b := fixtures.Domain(t, st, "b.test")

	for _, tc := range []struct {
		in    identity.NewSendingIP
		field string
		want  string
	}{
		{identity.NewSendingIP{Address: "nope", HeloHost: "mta.test", Pool: identity.PoolShared}, "address", "Enter an IPv4 or IPv6 address, such as 203.0.113.10."},
		{identity.NewSendingIP{Address: "0.0.0.0", HeloHost: "mta.test", Pool: identity.PoolShared}, "address", "This address cannot send mail."},
		{identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "", Pool: identity.PoolShared}, "helo_host", "Enter the host name this address greets with (its PTR name), such as mta1.example.com."},
		{identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta.test", Pool: "private"}, "pool", "Choose shared or dedicated."},
	} {
		_, err := st.IPs.AddSendingIP(ctx, tc.in)
		if got := fixtures.FieldErrors(t, err)[tc.field]; got != tc.want {
			t.Errorf("%+v: %q", tc.in, got)
		}
	}
	ded, err := st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "x.test", Pool: identity.PoolShared}); fixtures.FieldErrors(t, err)["address"] != "127.0.0.2 is already registered." {
		t.Errorf("duplicate: %v", err)
	}
	if !identity.IPConfiguredHere("127.0.0.2") || identity.IPConfiguredHere("203.0.113.99") {
		t.Error("IPConfiguredHere")
	}

	clock.Advance(time.Hour)
	if _, err := st.IPs.UpdateSendingIP(ctx, ded.ID, identity.SendingIPChange{HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated, DomainIDs: []uint64{a.ID}}); err != nil {
		t.Fatal(err)
	}
	ipsA, _ := st.IPs.SendingIPsForDomain(ctx, a.ID)
	ipsB, _ := st.IPs.SendingIPsForDomain(ctx, b.ID)
	if len(ipsA) != 1 || ipsA[0].Address != "127.0.0.2" {
		t.Errorf("a.test sends from %+v", ipsA)
	}
	if len(ipsB) != 1 || !ipsB[0].IsDefaultRoute() {
		t.Errorf("b.test sends from %+v", ipsB)
	}
	// a.test's SPF must now list 127.0.0.2: it is queued for a re-check.
	da, _ := st.Domains.GetDomain(ctx, a.ID)
	if !da.NextCheckAt.Equal(clock.Now()) {
		t.Errorf("a.test next check %v, want now %v", da.NextCheckAt, clock.Now())
	}
	recs, _ := st.Domains.DomainRecords(ctx, da)
	if recs[1].Value != "v=spf1 ip4:127.0.0.2 ~all" {
		t.Errorf("a.test SPF %q", recs[1].Value)
	}
	ips, _ := st.IPs.ListSendingIPs(ctx)
	if len(ips) != 2 || ips[1].Address != "127.0.0.2" || len(ips[1].Domains) != 1 || ips[1].Domains[0].Name != "a.test" {
		t.Errorf("list: %+v", ips)
	}
	// The default route cannot be removed or made dedicated.
	if err := st.IPs.DeleteSendingIP(ctx, ips[0].ID); !errors.Is(err, models.ErrConflict) {
		t.Errorf("delete default route: %v", err)
	}
	if _, err := st.IPs.UpdateSendingIP(ctx, ips[0].ID, identity.SendingIPChange{Pool: identity.PoolDedicated}); fixtures.FieldErrors(t, err)["pool"] == "" {
		t.Errorf("default route made dedicated: %v", err)
	}
	// Back to the shared pool: assignments go.
	ip, err := st.IPs.UpdateSendingIP(ctx, ded.ID, identity.SendingIPChange{HeloHost: "mta2.sesame.test", Pool: identity.PoolShared, DomainIDs: []uint64{a.ID}})
	if err != nil || len(ip.Domains) != 0 {
		t.Errorf("shared with domains: %+v %v", ip, err)
	}
	if err := st.IPs.DeleteSendingIP(ctx, ded.ID); err != nil {
		t.Error(err)
	}
}

// A bounce host written as an IP address becomes an ip4: or ip6: term (a:
// takes only a domain name, RFC 7208 5.3), and the check passes exactly
// the record the page asks for.
func TestSPFForAnIPLiteralBounceHost(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"127.0.0.1", "v=spf1 ip4:127.0.0.1 ~all"},
		{"2001:db8::25", "v=spf1 ip6:2001:db8::25 ~all"},
		{"mail.sesame.test", "v=spf1 a:mail.sesame.test ~all"},
	} {
		t.Run(c.host, func(t *testing.T) {
			cfg := testdb.Config(t)
			cfg.Identity.BounceHost = c.host
			st := testdb.OpenConfig(t, cfg)
			srv := dnstest.Start(t)
			srv.Set(t, "mail.sesame.test. 300 IN A 198.51.100.7")
			res, _ := mailer.NewResolver(srv.Addr, time.Second)
			d, err := st.Domains.AddDomain(ctx, "example.test", 1024)
			if err != nil {
				t.Fatal(err)
			}
			recs, _ := st.Domains.DomainRecords(ctx, d)
			if recs[1].Value != c.want {
				t.Fatalf("SPF %q, want %q", recs[1].Value, c.want)
			}
			srv.Publish(t, recs)
			_, recs, err = st.Domains.VerifyDomain(ctx, res, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if recs[1].Status != identity.RecordPass {
				t.Errorf("the published record: %s %q", recs[1].Status, recs[1].Explanation)
			}
		})
	}
}

// Once a shared IP is registered, the shared pool is it and the default
// route, and claims send from both: the SPF record the domain is asked to
// publish authorises every source a claim chose.
func TestSPFRecordCoversEveryClaimedSource(t *testing.T) {
	st, _ := fixtures.Store(t)
	if _, err := st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.3", HeloHost: "mta3.sesame.test", Pool: identity.PoolShared}); err != nil {
		t.Fatal(err)
	}
	d := fixtures.Domain(t, st, "example.test")
	sender, err := st.Senders.CreateSender(ctx, "news@example.test", "News")
	if err != nil {
		t.Fatal(err)
	}
	req := queue.EnqueueRequest{Sender: sender, Transactional: true, Content: queue.MessageContent{Subject: "Hi", Text: "Hi"}}
	for i := range 6 {
		req.To = append(req.To, queue.Addressee{Email: "r" + strconv.Itoa(i) + "@dest.test"})
	}
	if _, err := st.Queue.Enqueue(ctx, req); err != nil {
		t.Fatal(err)
	}
	claimed, err := st.Queue.ClaimMessages(ctx, "test", 10, time.Minute)
	if err != nil || len(claimed) != 6 {
		t.Fatalf("claimed %d: %v", len(claimed), err)
	}
	recs, _ := st.Domains.DomainRecords(ctx, d)
	terms := strings.Fields(recs[1].Value)
	sources := map[string]bool{}
	for _, m := range claimed {
		sources[m.SourceIP] = true
		want := "ip4:" + m.SourceIP
		if m.SourceIP == "" {
			want = "a:" + testdb.BounceHost
		}
		if !slices.Contains(terms, want) {
			t.Errorf("a message left from %q, which %q does not authorise", identity.SourceLabel(m.SourceIP), recs[1].Value)
		}
	}
	if len(sources) != 2 {
		t.Errorf("claims used %d sources, want the registered IP and the default route", len(sources))
	}
}

// While delivery is the sandbox, DNS does not gate sending: an unverified
// domain gets sender addresses and its mail is queued and claimed, while
// the domain itself stays pending. Once delivery is real, the same queued
// mail is held with its reason, not sent, until the domain verifies.
func TestSandboxSendsBeforeDNSAndRealDeliveryHolds(t *testing.T) {
	cfg := testdb.Config(t)
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	cfg.Clock = clock
	cfg.Identity.Sandbox = true
	sandbox := testdb.OpenConfig(t, cfg)
	d, err := sandbox.Domains.AddDomain(ctx, "example.test", 1024)
	if err != nil {
		t.Fatal(err)
	}
	sender, err := sandbox.Senders.CreateSender(ctx, "news@example.test", "News")
	if err != nil {
		t.Fatalf("a sender of an unverified domain in the sandbox: %v", err)
	}
	req := queue.EnqueueRequest{Sender: sender, Transactional: true, Content: queue.MessageContent{Subject: "Hi", Text: "Hi"},
		To: []queue.Addressee{{Email: "ann@dest.test"}, {Email: "bob@dest.test"}}}
	msgs, err := sandbox.Queue.Enqueue(ctx, req)
	if err != nil {
		t.Fatalf("enqueue from an unverified domain in the sandbox: %v", err)
	}
	if got, _ := sandbox.Domains.GetDomain(ctx, d.ID); got.Verified() {
		t.Error("the sandbox made the domain verified")
	}
	claimed, err := sandbox.Queue.ClaimMessages(ctx, "sandbox", 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("sandbox claim: %d %v", len(claimed), err)
	}
	claimedInSandbox := claimed[0].ID

	// The same database with real delivery: no new mail, the queued one held.
	cfg.Identity.Sandbox = false
	real := testdb.OpenConfig(t, cfg)
	if _, err := real.Queue.Enqueue(ctx, req); !errors.Is(err, queue.ErrDomainNotVerified) {
		t.Errorf("enqueue from an unverified domain for real: %v", err)
	}
	if _, err := real.Senders.CreateSender(ctx, "info@example.test", ""); fixtures.FieldErrors(t, err)["email"] == "" {
		t.Errorf("a sender of an unverified domain for real: %v", err)
	}
	claimed, err = real.Queue.ClaimMessages(ctx, "real", 10, time.Minute)
	if err != nil || len(claimed) != 0 {
		t.Fatalf("real claim of an unverified domain's mail: %d %v", len(claimed), err)
	}
	waiting := msgs[0].UID
	if msgs[0].ID == claimedInSandbox {
		waiting = msgs[1].UID
	}
	held, err := real.Queue.GetMessageByUID(ctx, waiting)
	if err != nil {
		t.Fatal(err)
	}
	if held.Status != models.StatusQueued || held.Attempts != 0 || !strings.HasPrefix(held.LastReply, "Held: example.test is not verified for sending") ||
		!held.NextAttemptAt.Equal(clock.Now().Add(identity.PendingRecheckEvery)) {
		t.Fatalf("held: %s, %d attempts, %q, next %v", held.Status, held.Attempts, held.LastReply, held.NextAttemptAt)
	}
	// Verified: the held message is due at once.
	srv := dnstest.Start(t)
	srv.Set(t, testdb.BounceHost+". 300 IN A 127.0.0.1")
	res, _ := mailer.NewResolver(srv.Addr, time.Second)
	recs, _ := real.Domains.DomainRecords(ctx, d)
	srv.Publish(t, recs)
	if d, _, err = real.Domains.VerifyDomain(ctx, res, d.ID); err != nil || !d.Verified() {
		t.Fatalf("verify: %v", err)
	}
	claimed, err = real.Queue.ClaimMessages(ctx, "real", 10, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].ID != held.ID {
		t.Errorf("after verification: %d claimed, %v", len(claimed), err)
	}
}

// Records that name this machine only are flagged: an IP literal (an MX
// cannot name one), loopback, localhost.
func TestLocalOnlyHosts(t *testing.T) {
	bounce := func(h string) identity.LocalHost { return identity.LocalHost{Host: h, Variable: "SESAME_BOUNCE_HOST"} }
	public := func(h string) identity.LocalHost { return identity.LocalHost{Host: h, Variable: "SESAME_PUBLIC_URL"} }
	for _, c := range []struct {
		bounce, public string
		want           []identity.LocalHost
	}{
		{"mail.example.com", "mail.example.com", nil},
		{"127.0.0.1", "127.0.0.1", []identity.LocalHost{bounce("127.0.0.1")}},
		{"localhost", "localhost", []identity.LocalHost{bounce("localhost")}},
		{"203.0.113.7", "sesame.example.com", []identity.LocalHost{bounce("203.0.113.7")}},
		{"mail.example.com", "app.localhost", []identity.LocalHost{public("app.localhost")}},
		{"mail.example.com", "::1", []identity.LocalHost{public("::1")}},
	} {
		got := identity.IdentityConfig{BounceHost: c.bounce, PublicHost: c.public}.LocalOnlyHosts()
		if !slices.Equal(got, c.want) {
			t.Errorf("%s, %s: %q, want %q", c.bounce, c.public, got, c.want)
		}
	}
}
