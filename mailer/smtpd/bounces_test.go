package smtpd_test

import (
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/reportfixtures"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/queue"
)

// report sends a fixture about m to the address given, and fails the test
// when the server does not accept it.
func (h *harness) report(fixture string, m *queue.Message, to string) {
	h.t.Helper()
	if err := h.send("", []string{to}, reportfixtures.Load(h.t, fixture, m.UID, "example.test", m.Recipient)); err != nil {
		h.t.Fatalf("%s to %s: %v", fixture, to, err)
	}
}

func verp(m *queue.Message) string { return outgoing.EnvelopeFrom(m.UID, "example.test") }

func TestHardBouncesFromRealMailSystems(t *testing.T) {
	h := start(t, smtpd.Config{})
	msgs := h.sent(map[string]models.MessageStatus{"postfix@dest.test": models.StatusDelivered, "exchange@dest.test": models.StatusDeferred})
	for fixture, tc := range map[string]struct {
		m     *queue.Message
		event string
	}{
		"postfix-hard.eml": {msgs["postfix@dest.test"],
			"bounced: 5.1.1 550 5.1.1 <postfix@dest.test>: Recipient address rejected: User unknown in virtual mailbox table"},
		"exchange-online-hard.eml": {msgs["exchange@dest.test"],
			"bounced: 5.1.10 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient exchange@dest.test not found by SMTP address lookup"},
	} {
		for range 3 { // the report, then two replays
			h.report(fixture, tc.m, verp(tc.m))
		}
		got := h.message(tc.m.UID)
		if got.Status != models.StatusBounced || !strings.HasPrefix(tc.event, "bounced: "+got.LastReply) {
			t.Errorf("%s: %s %q", fixture, got.Status, got.LastReply)
		}
		if ev := h.events(tc.m); len(ev) != 1 || ev[0] != tc.event {
			t.Errorf("%s: events %q", fixture, ev)
		}
		if reason, ok := h.suppressed(tc.m.Recipient); !ok || reason != audience.ReasonHardBounce {
			t.Errorf("%s: suppression %v %v", fixture, reason, ok)
		}
	}
}

func TestSoftBounceIsOnlyNoted(t *testing.T) {
	h := start(t, smtpd.Config{})
	m := h.sent(map[string]models.MessageStatus{"slow@dest.test": models.StatusDelivered})["slow@dest.test"]
	h.report("postfix-delayed.eml", m, verp(m))
	h.report("postfix-delayed.eml", m, verp(m))
	if got := h.message(m.UID); got.Status != models.StatusDelivered {
		t.Errorf("a delay notice made the message %s", got.Status)
	}
	want := "soft_bounced: 4.4.1 connect to mx.dest.test[203.0.113.9]:25: Connection timed out"
	if ev := h.events(m); len(ev) != 1 || ev[0] != want {
		t.Errorf("events %q", ev)
	}
	if _, ok := h.suppressed(m.Recipient); ok {
		t.Error("a delay notice suppressed the recipient")
	}
}

func TestComplaintsFromFeedbackLoops(t *testing.T) {
	h := start(t, smtpd.Config{})
	msgs := h.sent(map[string]models.MessageStatus{"yahoo@dest.test": models.StatusDelivered, "outlook@dest.test": models.StatusDelivered})
	yahoo, outlook := msgs["yahoo@dest.test"], msgs["outlook@dest.test"]
	// Yahoo names the message by the return path it quotes; Microsoft's
	// report only by the Message-ID of the message it returns.
	h.report("yahoo-arf.eml", yahoo, "fbl@bounce.example.test")
	h.report("microsoft-jmrp-arf.eml", outlook, "fbl@bounce.example.test")
	// Replays, also to another mailbox and to the return path.
	h.report("yahoo-arf.eml", yahoo, "fbl@bounce.example.test")
	h.report("microsoft-jmrp-arf.eml", outlook, "abuse@bounce.example.test")
	h.report("microsoft-jmrp-arf.eml", outlook, verp(outlook))
	for m, reporter := range map[*queue.Message]string{yahoo: "Yahoo!-Mail-Feedback/2.0", outlook: "Microsoft Junk Mail Reporting Program"} {
		if got := h.message(m.UID); got.Status != models.StatusDelivered {
			t.Errorf("%s: status %s", m.Recipient, got.Status)
		}
		if ev := h.events(m); len(ev) != 1 || ev[0] != "complained: abuse report from "+reporter {
			t.Errorf("%s: events %q", m.Recipient, ev)
		}
		if reason, ok := h.suppressed(m.Recipient); !ok || reason != audience.ReasonComplaint {
			t.Errorf("%s: suppression %v %v", m.Recipient, reason, ok)
		}
	}
}

func TestReportsThatChangeNothing(t *testing.T) {
	h := start(t, smtpd.Config{})
	m := h.sent(map[string]models.MessageStatus{"bob@dest.test": models.StatusDelivered})["bob@dest.test"]
	dsn := string(reportfixtures.Load(t, "postfix-hard.eml", m.UID, "example.test", m.Recipient))
	arf := string(reportfixtures.Load(t, "microsoft-jmrp-arf.eml", m.UID, "example.test", m.Recipient))
	unknown := queue.NewMessageUID()
	for name, c := range map[string]struct{ to, data string }{
		// Accepted and dropped: the sender cannot do better with a refusal.
		"unknown message":             {outgoing.EnvelopeFrom(unknown, "example.test"), strings.ReplaceAll(dsn, m.UID, unknown)},
		"a report mailbox, no match":  {"postmaster@bounce.example.test", strings.ReplaceAll(dsn, m.UID+"@example.test", "abc@elsewhere.test")},
		"a delivery notice":           {verp(m), strings.Replace(strings.Replace(dsn, "Action: failed", "Action: delivered", 1), "Status: 5.1.1", "Status: 2.0.0", 1)},
		"not-spam feedback":           {verp(m), strings.Replace(arf, "Feedback-Type: abuse", "Feedback-Type: not-spam", 1)},
		"another domain's message-id": {"fbl@bounce.example.test", strings.ReplaceAll(arf, m.UID+"@example.test", m.UID+"@other.test")},
	} {
		if err := h.send("", []string{c.to}, []byte(c.data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := h.message(m.UID); got.Status != models.StatusDelivered {
		t.Errorf("status %s", got.Status)
	}
	if ev := h.events(m); len(ev) != 0 {
		t.Errorf("events %q", ev)
	}
	if _, ok := h.suppressed(m.Recipient); ok {
		t.Error("suppressed")
	}
}
