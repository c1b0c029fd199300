package mailer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
)

var ctx = context.Background()

// pipeline is a store with a verified sender, a sink to deliver to, and an
// engine on a manual clock.
type pipeline struct {
	t      *testing.T
	st     *store.Store
	clock  *clocktest.Clock
	dns    *dnstest.Server
	sink   *smtpsink.Sink
	sender *identity.SenderAddress
	signer outgoing.RSASigner // empty: the engine's default
}

func newPipeline(t *testing.T) *pipeline {
	t.Helper()
	return newPipelineWith(t, testdb.Config(t))
}

func newPipelineWith(t *testing.T, cfg store.Config) *pipeline {
	t.Helper()
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	cfg.Clock = clock
	st := testdb.OpenConfig(t, cfg)
	dns := dnstest.Start(t)
	p := &pipeline{t: t, st: st, clock: clock, dns: dns, sink: smtpsink.Start(t)}
	p.sender = fixtures.Sender(t, st, dns, "news@example.test", "Example News")
	return p
}

func (p *pipeline) engine(transport mailer.Transport, owner string) *mailer.Engine {
	links := outgoing.NewLinks("https://sesame.example", []byte("link key"))
	return mailer.NewEngine(compose.Engine(p.st), transport, outgoing.NewBuilder(links), p.clock, discard(),
		mailer.EngineConfig{Owner: owner, BounceHost: testdb.BounceHost, ConnIdle: 200 * time.Millisecond, RecordInterval: 10 * time.Millisecond, Signer: p.signer})
}

func (p *pipeline) relay() mailer.Transport {
	return &mailer.Relay{Addr: p.sink.Addr, TLS: "none"}
}

// deliver runs one delivery round on the relay.
func (p *pipeline) deliver() {
	p.t.Helper()
	if err := p.engine(p.relay(), "test").RunUntilIdle(ctx); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pipeline) enqueue(transactional bool, to ...string) []queue.Message {
	p.t.Helper()
	req := queue.EnqueueRequest{
		Sender:        p.sender,
		Content:       queue.MessageContent{Subject: "Hello {{name}}", HTML: "<p>Hi {{name}}, see <a href=\"https://example.test/x\">this</a>.</p>", Unsubscribe: "2"},
		Transactional: transactional,
	}
	for _, email := range to {
		req.To = append(req.To, queue.Addressee{Email: email, Variables: map[string]string{"name": strings.Split(email, "@")[0]}})
	}
	msgs, err := p.st.Queue.Enqueue(ctx, req)
	if err != nil {
		p.t.Fatal(err)
	}
	return msgs
}

func (p *pipeline) status(uid string) *queue.Message {
	p.t.Helper()
	m, err := p.st.Queue.GetMessageByUID(ctx, uid)
	if err != nil {
		p.t.Fatal(err)
	}
	return m
}

func (p *pipeline) counts() map[models.MessageStatus]int {
	p.t.Helper()
	c, err := p.st.Queue.CountMessagesByStatus(ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

func TestRelayDeliveryBuildsSignedMail(t *testing.T) { forEachSigner(t, relayDeliveryBuildsSignedMail) }

func relayDeliveryBuildsSignedMail(t *testing.T, signer outgoing.RSASigner) {
	p := newPipeline(t)
	p.signer = signer
	msgs := p.enqueue(false, "ann@dest.test", "bob@dest.test")
	p.deliver()

	mails := p.sink.Mails()
	if len(mails) != 2 {
		t.Fatalf("sink received %d", len(mails))
	}
	for _, m := range msgs {
		got := p.status(m.UID)
		if got.Status != models.StatusDelivered || got.Attempts != 1 || !strings.HasPrefix(got.LastReply, "250") || got.DeliveredAt == nil {
			t.Errorf("%s: %+v", m.Recipient, got)
		}
	}
	var ann smtpsink.Mail
	for _, m := range mails {
		if m.To[0] == "ann@dest.test" {
			ann = m
		}
	}
	if ann.From != "bounce+"+msgs[0].UID+"@bounce.example.test" {
		t.Errorf("envelope from %q", ann.From)
	}
	if ann.Helo != testdb.BounceHost {
		t.Errorf("HELO %q", ann.Helo)
	}
	data := string(ann.Data)
	for _, want := range []string{
		"Message-Id: <" + msgs[0].UID + "@example.test>",
		"Subject: Hello ann",
		`From: "Example News" <news@example.test>`,
		"List-Unsubscribe: <https://sesame.example/u/",
		"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"Content-Type: multipart/alternative",
		"DKIM-Signature: ",
	} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q:\n%s", want, data[:min(len(data), 2000)])
		}
	}
	// The signature verifies against the domain's published key.
	res, _ := mailer.NewResolver(p.dns.Addr, time.Second)
	verifications, err := dkim.VerifyWithOptions(bytes.NewReader(ann.Data), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) { return res.LookupTXT(ctx, domain) },
	})
	if err != nil || len(verifications) != 1 || verifications[0].Err != nil || verifications[0].Domain != "example.test" {
		t.Fatalf("DKIM: %+v %v", verifications, err)
	}
	for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"} {
		if !containsFold(verifications[0].HeaderKeys, h) {
			t.Errorf("DKIM does not sign %s: %v", h, verifications[0].HeaderKeys)
		}
	}
	// Two messages to one destination travelled on one connection.
	if n := p.sink.Connections(); n != 1 {
		t.Errorf("%d connections for 2 messages", n)
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func TestDualSigningWithEd25519(t *testing.T) { forEachSigner(t, dualSigningWithEd25519) }

func dualSigningWithEd25519(t *testing.T, signer outgoing.RSASigner) {
	p := newPipeline(t)
	p.signer = signer
	d, _ := p.st.Domains.GetDomainByName(ctx, "example.test")
	if _, err := p.st.Domains.AddDKIMKey(ctx, d.ID, identity.DKIMEd25519); err != nil {
		t.Fatal(err)
	}
	recs, _ := p.st.Domains.DomainRecords(ctx, d)
	p.dns.Publish(t, recs)
	res, _ := mailer.NewResolver(p.dns.Addr, time.Second)
	if _, _, err := p.st.Domains.VerifyDomain(ctx, res, d.ID); err != nil {
		t.Fatal(err)
	}
	p.enqueue(false, "ann@dest.test")
	p.deliver()
	mails := p.sink.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	verifications, err := dkim.VerifyWithOptions(bytes.NewReader(mails[0].Data), &dkim.VerifyOptions{
		LookupTXT: func(domain string) ([]string, error) { return res.LookupTXT(ctx, domain) },
	})
	if err != nil || len(verifications) != 2 {
		t.Fatalf("%d signatures: %v", len(verifications), err)
	}
	for _, v := range verifications {
		if v.Err != nil {
			t.Errorf("signature %s: %v", v.Domain, v.Err)
		}
	}
}

func TestSandboxKeepsMessages(t *testing.T) {
	p := newPipeline(t)
	msgs := p.enqueue(false, "ann@dest.test")
	if err := p.engine(mailer.Sandbox{}, "test").RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if got := p.status(msgs[0].UID); got.Status != models.StatusDelivered || got.LastReply != "250 kept in the sandbox mailbox" {
		t.Fatalf("%+v", got)
	}
	box, err := p.st.Sandbox.SandboxPage(ctx, 0, 10)
	if err != nil || len(box) != 1 || box[0].Subject != "Hello ann" {
		t.Fatalf("sandbox: %+v %v", box, err)
	}
	kept, err := p.st.Sandbox.GetSandboxMessage(ctx, box[0].ID)
	if err != nil || !bytes.Contains(kept.Raw, []byte("DKIM-Signature")) || *kept.MessageID != msgs[0].ID {
		t.Fatalf("sandbox message: %v", err)
	}
	parsed, err := outgoing.ParseMessage(kept.Raw)
	if err != nil || parsed.Subject != "Hello ann" || !strings.Contains(parsed.HTML, "Hi ann") || !strings.Contains(parsed.Text, "Hi ann") {
		t.Fatalf("parsed: %+v %v", parsed, err)
	}
	if len(p.sink.Mails()) != 0 {
		t.Error("the sandbox sent mail out")
	}
}

func TestRetriesBackoffAndMaxAge(t *testing.T) {
	p := newPipeline(t)
	p.sink.When("slow@", smtpsink.Reply451, 0)
	msgs := p.enqueue(false, "slow@dest.test")
	uid := msgs[0].UID

	p.deliver()
	m := p.status(uid)
	// The reply asks for 120 seconds; the hint wins over the 1-minute schedule.
	if m.Status != models.StatusDeferred || m.Attempts != 1 || !m.NextAttemptAt.Equal(p.clock.Now().Add(120*time.Second)) {
		t.Fatalf("after 451: %s attempts=%d next=%v", m.Status, m.Attempts, m.NextAttemptAt)
	}
	p.deliver() // not due yet
	if m := p.status(uid); m.Attempts != 1 {
		t.Fatalf("retried early: %d attempts", m.Attempts)
	}
	// Keep failing for five days: then it fails for good.
	for i := 0; i < 500; i++ {
		m = p.status(uid)
		if m.Status != models.StatusDeferred {
			break
		}
		p.clock.Set(m.NextAttemptAt)
		p.deliver()
	}
	m = p.status(uid)
	if m.Status != models.StatusFailed || !strings.HasPrefix(m.LastReply, "gave up after") {
		t.Fatalf("after five days: %s %q", m.Status, m.LastReply)
	}
	if age := p.clock.Now().Sub(m.CreatedAt); age < 4*24*time.Hour || age > 5*24*time.Hour {
		t.Errorf("gave up after %v", age)
	}
	// A message that recovers is delivered.
	p.sink.When("later@", smtpsink.Reply451, 1)
	later := p.enqueue(false, "later@dest.test")[0].UID
	p.deliver()
	p.clock.Set(p.status(later).NextAttemptAt)
	p.deliver()
	if m := p.status(later); m.Status != models.StatusDelivered || m.Attempts != 2 {
		t.Errorf("recovered: %s after %d", m.Status, m.Attempts)
	}
}

func TestHardBounceSuppressesTheRecipient(t *testing.T) {
	p := newPipeline(t)
	p.sink.When("gone@", smtpsink.Reply550, 0)
	uid := p.enqueue(false, "gone@dest.test")[0].UID
	p.deliver()
	m := p.status(uid)
	if m.Status != models.StatusBounced || m.Attempts != 1 || !strings.HasPrefix(m.LastReply, "550 5.1.1") {
		t.Fatalf("%s %d %q", m.Status, m.Attempts, m.LastReply)
	}
	p.clock.Advance(time.Hour)
	p.deliver()
	if m := p.status(uid); m.Attempts != 1 {
		t.Error("a 5xx was retried")
	}
	// The next send to the address is never attempted.
	next := p.enqueue(false, "gone@dest.test")[0].UID
	before := len(p.sink.Mails())
	p.deliver()
	if m := p.status(next); m.Status != models.StatusSuppressed {
		t.Errorf("next send: %s %q", m.Status, m.LastReply)
	}
	if len(p.sink.Mails()) != before {
		t.Error("the suppressed address was contacted")
	}
}

// throttle is the destination's throttle for the default route, if any.
func (p *pipeline) throttle() *queue.DestinationThrottle {
	p.t.Helper()
	throttles, err := p.st.Queue.ThrottlesUntil(ctx, p.clock.Now())
	if err != nil {
		p.t.Fatal(err)
	}
	for _, t := range throttles {
		if t.Destination == p.sink.Addr && t.SourceIP == "" {
			return &t
		}
	}
	return nil
}

// A 421 after the data throttles the relay for the source IP: a minute at
// first, during which nothing is sent there, then twice as long when it
// answers so again right after; a delivery that gets through ends the
// growth, so the next throttle is short again.
func TestThrottledDestination(t *testing.T) {
	p := newPipeline(t)
	p.sink.When("a@", smtpsink.Reply421, 1)
	first := p.enqueue(false, "a@dest.test")[0].UID
	p.deliver()
	if m := p.status(first); m.Status != models.StatusDeferred {
		t.Fatalf("421: %s", m.Status)
	}
	if th := p.throttle(); th == nil || !th.Until.Equal(p.clock.Now().Add(time.Minute)) || !strings.HasPrefix(th.Reason, "421 4.7.0") {
		t.Fatalf("throttle: %+v", th)
	}
	// While throttled, nothing is sent there.
	second := p.enqueue(false, "b@dest.test")[0].UID
	p.deliver()
	m := p.status(second)
	if m.Status != models.StatusDeferred || !strings.Contains(m.LastReply, "asked to slow down until 09:01:00 UTC (source: Default route; reply: 421 4.7.0") || len(p.sink.Mails()) != 0 {
		t.Fatalf("during throttle: %s %q, %d mails", m.Status, m.LastReply, len(p.sink.Mails()))
	}
	// It answers 421 again as soon as the throttle ends: twice as long.
	p.clock.Advance(time.Minute)
	p.sink.When("", smtpsink.Reply421, 1)
	p.deliver()
	if th := p.throttle(); th == nil || !th.Until.Equal(p.clock.Now().Add(2*time.Minute)) {
		t.Fatalf("second throttle: %+v", th)
	}
	p.clock.Advance(6 * time.Minute) // past the retry of the message that met the second 421
	p.deliver()
	if len(p.sink.Mails()) != 2 {
		t.Fatalf("after the throttle: %d mails", len(p.sink.Mails()))
	}
	// Delivered: the next throttle starts at a minute again.
	p.sink.When("c@", smtpsink.Reply421, 1)
	p.enqueue(false, "c@dest.test")
	p.deliver()
	if th := p.throttle(); th == nil || !th.Until.Equal(p.clock.Now().Add(time.Minute)) {
		t.Fatalf("throttle after a delivery: %+v", th)
	}
}

// Greylisting one recipient of a hundred at RCPT TO defers that message
// alone, with its own retry: the other 99 go at once, over connections
// that stay open, the relay is not throttled, and the greylisted one goes
// on its retry.
func TestGreylistedRecipientDefersOnlyItsMessage(t *testing.T) {
	p := newPipeline(t)
	p.sink.When("r42@", smtpsink.Greylist, 1)
	var to []string
	for i := range 100 {
		to = append(to, "r"+strconv.Itoa(i)+"@dest.test")
	}
	msgs := p.enqueue(false, to...)
	p.deliver()
	if n := len(p.sink.Mails()); n != 99 {
		t.Fatalf("first round: %d delivered, want 99", n)
	}
	grey := p.status(msgs[42].UID)
	if grey.Status != models.StatusDeferred || grey.LastReply != "451 4.7.1 Greylisted, please try again later" {
		t.Fatalf("greylisted: %s %q", grey.Status, grey.LastReply)
	}
	if wait := grey.NextAttemptAt.Sub(p.clock.Now()); wait < 50*time.Second || wait > 5*time.Minute {
		t.Errorf("first retry in %v, want about 1 to 5 minutes", wait)
	}
	if th := p.throttle(); th != nil {
		t.Errorf("greylisting throttled the relay: %+v", th)
	}
	if c := p.sink.Connections(); c > 10 {
		t.Errorf("%d connections for 100 messages: the greylisted one broke its connection", c)
	}
	p.clock.Advance(2 * time.Minute)
	p.deliver()
	if m := p.status(grey.UID); m.Status != models.StatusDelivered || m.Attempts != 2 {
		t.Errorf("on its retry: %s after %d attempts", m.Status, m.Attempts)
	}
	if n := len(p.sink.Mails()); n != 100 {
		t.Errorf("%d delivered in all", n)
	}
}

// A full mailbox (452 at RCPT TO) defers that recipient's message only, and
// the next message goes over the same connection.
func TestMailboxFullDefersOnlyThatRecipient(t *testing.T) {
	p := newPipeline(t)
	p.sink.When("full@", smtpsink.MailboxFull, 1)
	msgs := p.enqueue(false, "full@dest.test", "ann@dest.test", "bob@dest.test")
	p.deliver()
	if m := p.status(msgs[0].UID); m.Status != models.StatusDeferred || m.LastReply != "452 4.2.2 Mailbox full" {
		t.Errorf("full mailbox: %s %q", m.Status, m.LastReply)
	}
	for _, m := range msgs[1:] {
		if got := p.status(m.UID); got.Status != models.StatusDelivered {
			t.Errorf("%s: %s %q", m.Recipient, got.Status, got.LastReply)
		}
	}
	if c := p.sink.Connections(); c != 1 {
		t.Errorf("%d connections, want 1", c)
	}
	if th := p.throttle(); th != nil {
		t.Errorf("a full mailbox throttled the relay: %+v", th)
	}
}

// "421 4.7.0 Too many connections" at RCPT TO throttles the relay for the
// source IP, for a minute.
func TestTooManyConnectionsThrottles(t *testing.T) {
	p := newPipeline(t)
	p.sink.When("ann@", smtpsink.TooManyConnections, 1)
	uid := p.enqueue(false, "ann@dest.test")[0].UID
	p.deliver()
	if m := p.status(uid); m.Status != models.StatusDeferred || m.LastReply != "421 4.7.0 Too many connections" {
		t.Fatalf("421: %s %q", m.Status, m.LastReply)
	}
	if th := p.throttle(); th == nil || !th.Until.Equal(p.clock.Now().Add(time.Minute)) || th.Reason != "421 4.7.0 Too many connections" {
		t.Fatalf("throttle: %+v", th)
	}
}

func TestDroppedConnectionIsRetried(t *testing.T) {
	p := newPipeline(t)
	p.sink.When("drop@", smtpsink.DropAfterData, 1)
	uid := p.enqueue(false, "drop@dest.test")[0].UID
	p.deliver()
	if m := p.status(uid); m.Status != models.StatusDeferred || !strings.HasPrefix(m.LastReply, "connection failed") {
		t.Fatalf("%s %q", m.Status, m.LastReply)
	}
	p.clock.Advance(2 * time.Minute)
	p.deliver()
	if m := p.status(uid); m.Status != models.StatusDelivered {
		t.Errorf("after the drop: %s", m.Status)
	}
}

func TestSourceIP(t *testing.T) {
	p := newPipeline(t)
	other := fixtures.Sender(t, p.st, p.dns, "news@shared.test", "")
	d, _ := p.st.Domains.GetDomainByName(ctx, "example.test")
	ip, err := p.st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.st.IPs.UpdateSendingIP(ctx, ip.ID, identity.SendingIPChange{HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated, DomainIDs: []uint64{d.ID}}); err != nil {
		t.Fatal(err)
	}
	p.enqueue(false, "ann@dest.test", "bob@dest.test")
	p.sender = other
	p.enqueue(false, "cat@dest.test", "dan@dest.test")
	p.deliver()
	for _, m := range p.sink.Mails() {
		dedicated := strings.Contains(m.From, "@bounce.example.test")
		switch {
		case dedicated && (m.ClientIP != "127.0.0.2" || m.Helo != "mta2.sesame.test"):
			t.Errorf("example.test mail from %s (HELO %s)", m.ClientIP, m.Helo)
		case !dedicated && m.ClientIP == "127.0.0.2":
			t.Errorf("shared-pool mail from the dedicated IP")
		}
	}
	if len(p.sink.Mails()) != 4 {
		t.Errorf("%d mails", len(p.sink.Mails()))
	}
}

func TestMXDelivery(t *testing.T) {
	p := newPipeline(t)
	p.dns.Set(t, "dest.test. 300 IN MX 20 backup.dest.test.", "dest.test. 300 IN MX 10 mx1.dest.test.",
		"mx1.dest.test. 300 IN A 127.0.0.1", "backup.dest.test. 300 IN A 127.0.0.9",
		"nomx.test. 300 IN A 127.0.0.1", "nullmx.test. 300 IN MX 0 .")
	res, _ := mailer.NewResolver(p.dns.Addr, time.Second)
	mx := &mailer.MX{DNS: res, Port: p.sink.Port()}
	good := p.enqueue(false, "ann@dest.test", "bob@nomx.test")
	bad := p.enqueue(false, "cat@nullmx.test", "dan@nowhere.test")
	if err := p.engine(mx, "test").RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range good {
		if got := p.status(m.UID); got.Status != models.StatusDelivered {
			t.Errorf("%s: %s %q", m.Recipient, got.Status, got.LastReply)
		}
	}
	if got := p.status(bad[0].UID); got.Status != models.StatusBounced || !strings.Contains(got.LastReply, "null MX") {
		t.Errorf("null MX: %s %q", got.Status, got.LastReply)
	}
	if got := p.status(bad[1].UID); got.Status != models.StatusBounced || !strings.Contains(got.LastReply, "no mail server") {
		t.Errorf("no such domain: %s %q", got.Status, got.LastReply)
	}
}

// A mail server that offers STARTTLS gets the message over TLS, greeted
// with the HELO name after the handshake as before it.
func TestMXUsesSTARTTLSWhenOffered(t *testing.T) {
	p := newPipeline(t)
	cert, err := smtpd.Certificate("", "", t.TempDir(), "mx1.dest.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sink := smtpsink.StartTLS(t, cert)
	p.dns.Set(t, "dest.test. 300 IN MX 10 mx1.dest.test.", "mx1.dest.test. 300 IN A 127.0.0.1")
	res, _ := mailer.NewResolver(p.dns.Addr, time.Second)
	msgs := p.enqueue(false, "ann@dest.test", "bob@dest.test")
	if err := p.engine(&mailer.MX{DNS: res, Port: sink.Port()}, "test").RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if got := p.status(m.UID); got.Status != models.StatusDelivered {
			t.Errorf("%s: %s %q", m.Recipient, got.Status, got.LastReply)
		}
	}
	mails := sink.Mails()
	if len(mails) != 2 {
		t.Fatalf("%d mails", len(mails))
	}
	for _, m := range mails {
		if !m.TLS || m.Helo != testdb.BounceHost {
			t.Errorf("%v: TLS %v, HELO %q", m.To, m.TLS, m.Helo)
		}
	}
}

func TestHeaderInjectionIsRefused(t *testing.T) {
	p := newPipeline(t)
	msgs, err := p.st.Queue.Enqueue(ctx, queue.EnqueueRequest{Sender: p.sender,
		Content: queue.MessageContent{Subject: "Hi {{name}}", Text: "x", ReplyTo: "a@example.test\r\nBcc: victim@example.test"},
		To:      []queue.Addressee{{Email: "ann@dest.test", Variables: map[string]string{"name": "Ann\r\nBcc: evil@example.test"}}}})
	if err != nil {
		t.Fatal(err)
	}
	p.deliver()
	m := p.status(msgs[0].UID)
	if m.Status != models.StatusFailed || !strings.Contains(m.LastReply, "line break") || len(p.sink.Mails()) != 0 {
		t.Fatalf("%s %q", m.Status, m.LastReply)
	}
	// A line break in a variable never reaches the subject header.
	msgs, _ = p.st.Queue.Enqueue(ctx, queue.EnqueueRequest{Sender: p.sender, Content: queue.MessageContent{Subject: "Hi {{name}}", Text: "x"},
		To: []queue.Addressee{{Email: "ann@dest.test", Variables: map[string]string{"name": "Ann\r\nBcc: evil@example.test"}}}})
	p.deliver()
	mails := p.sink.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	if bytes.Contains(mails[0].Data, []byte("\r\nBcc:")) {
		t.Fatalf("injected header passed through: %q", mails[0].Data)
	}
}

func TestWarmupQuota(t *testing.T) {
	p := newPipeline(t)
	recipients := make([]string, 600)
	for i := range recipients {
		recipients[i] = "r" + strconv.Itoa(i) + "@dest.test"
	}
	p.sink.Discard = true
	p.enqueue(false, recipients...)
	p.enqueue(true, "otp@dest.test") // transactional: not counted
	p.deliver()
	c := p.counts()
	if c[models.StatusDelivered] != 501 || c[models.StatusQuotaWait] != 100 {
		t.Fatalf("day 1: %v", c)
	}
	if p.sink.Accepted() != 501 {
		t.Fatalf("sink accepted %d", p.sink.Accepted())
	}
	p.clock.Advance(12 * time.Hour)
	p.deliver()
	if c := p.counts(); c[models.StatusQuotaWait] != 100 {
		t.Fatalf("released early: %v", c)
	}
	p.clock.Advance(12 * time.Hour)
	p.deliver()
	c = p.counts()
	if c[models.StatusDelivered] != 601 || c[models.StatusQuotaWait] != 0 {
		t.Fatalf("next day: %v", c)
	}
	d, _ := p.st.Domains.GetDomainByName(ctx, "example.test")
	if d.WarmupDay != 2 {
		t.Errorf("warm-up day %d", d.WarmupDay)
	}
}

func TestDomainWithQueuedMailCannotBeDeleted(t *testing.T) {
	p := newPipeline(t)
	p.enqueue(false, "ann@dest.test")
	d, _ := p.st.Domains.GetDomainByName(ctx, "example.test")
	err := p.st.Domains.DeleteDomain(ctx, d.ID)
	if !errors.Is(err, models.ErrConflict) || err.Error() != "1 message is still queued for example.test. Wait until they are sent, or cancel them, before deleting the domain." {
		t.Fatalf("delete with queued mail: %v", err)
	}
	p.deliver()
	if err := p.st.Domains.DeleteDomain(ctx, d.ID); err != nil {
		t.Fatalf("delete after delivery: %v", err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Messages of many contents claimed together (the claim loads their
// contents in one query) each go out with their own.
func TestAClaimOfManyContentsSendsEachItsOwn(t *testing.T) {
	p := newPipeline(t)
	for i := range 5 {
		req := queue.EnqueueRequest{Sender: p.sender, Content: queue.MessageContent{Subject: fmt.Sprintf("Subject %d", i), HTML: fmt.Sprintf("<p>Body %d</p>", i), Unsubscribe: "2"},
			To: []queue.Addressee{{Email: fmt.Sprintf("r%d@dest.test", i)}}}
		if _, err := p.st.Queue.Enqueue(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	p.deliver()
	mails := p.sink.Mails()
	if len(mails) != 5 {
		t.Fatalf("%d mails, want 5", len(mails))
	}
	for _, m := range mails {
		var i int
		if _, err := fmt.Sscanf(m.To[0], "r%d@dest.test", &i); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(m.Data, fmt.Appendf(nil, "Subject: Subject %d\r\n", i)) || !bytes.Contains(m.Data, fmt.Appendf(nil, "Body %d", i)) {
			t.Errorf("the mail to %s is not its own:\n%s", m.To[0], m.Data)
		}
	}
}
