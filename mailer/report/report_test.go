package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/reportfixtures"
	"github.com/sesame-email/sesame/mailer/report"
)

const (
	uid    = "0123456789abcdefghjkmnpqrs"
	domain = "example.test"
	rcpt   = "bob@dest.test"
)

func parseFixture(t *testing.T, name string) *report.Report {
	t.Helper()
	r, err := report.Parse(bytes.NewReader(reportfixtures.Load(t, name, uid, domain, rcpt)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func TestDeliveryStatusNotifications(t *testing.T) {
	for _, tc := range []struct {
		fixture   string
		want      report.Recipient
		permanent bool
		reporter  string
	}{
		{"postfix-hard.eml", report.Recipient{FinalRecipient: rcpt, Action: "failed", Status: "5.1.1", RemoteMTA: "mailstore.dest.test",
			Diagnostic: "550 5.1.1 <bob@dest.test>: Recipient address rejected: User unknown in virtual mailbox table"}, true, "mx.dest.test"},
		{"postfix-delayed.eml", report.Recipient{FinalRecipient: rcpt, Action: "delayed", Status: "4.4.1",
			Diagnostic: "connect to mx.dest.test[203.0.113.9]:25: Connection timed out"}, false, "mx.relay.test"},
		{"exchange-online-hard.eml", report.Recipient{FinalRecipient: rcpt, Action: "failed", Status: "5.1.10",
			Diagnostic: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient bob@dest.test not found by SMTP address lookup"},
			true, "AM0PR01MB1234.eurprd01.prod.exchangelabs.com"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			r := parseFixture(t, tc.fixture)
			if r.Kind != report.DeliveryStatus || r.Reporter != tc.reporter || r.OriginalMessageID != "<"+uid+"@"+domain+">" {
				t.Errorf("kind %v, reporter %q, original %q", r.Kind, r.Reporter, r.OriginalMessageID)
			}
			got, ok := r.Bounce()
			if !ok || got != tc.want {
				t.Errorf("bounce %v:\n got %+v\nwant %+v", ok, got, tc.want)
			}
			if got.Permanent() != tc.permanent {
				t.Errorf("permanent: %v", got.Permanent())
			}
			if len(r.Fingerprint) != 64 {
				t.Errorf("fingerprint %q", r.Fingerprint)
			}
		})
	}
}

func TestFeedbackReports(t *testing.T) {
	yahoo := parseFixture(t, "yahoo-arf.eml")
	if yahoo.Kind != report.Feedback || !yahoo.Complaint() || yahoo.FeedbackType != "abuse" || yahoo.Reporter != "Yahoo!-Mail-Feedback/2.0" ||
		yahoo.OriginalMailFrom != "bounce+"+uid+"@bounce."+domain || yahoo.OriginalMessageID != "<"+uid+"@"+domain+">" {
		t.Errorf("yahoo: %+v", yahoo)
	}
	microsoft := parseFixture(t, "microsoft-jmrp-arf.eml")
	if !microsoft.Complaint() || microsoft.Reporter != "Microsoft Junk Mail Reporting Program" ||
		microsoft.OriginalMailFrom != "" || microsoft.OriginalMessageID != "<"+uid+"@"+domain+">" {
		t.Errorf("microsoft: %+v", microsoft)
	}
	if _, ok := microsoft.Bounce(); ok {
		t.Error("a feedback report reads as a bounce")
	}
	for typ, complaint := range map[string]bool{"abuse": true, "fraud": true, "other": true, "not-spam": false, "auth-failure": false} {
		raw := strings.Replace(string(reportfixtures.Load(t, "yahoo-arf.eml", uid, domain, rcpt)), "Feedback-Type: abuse", "Feedback-Type: "+typ, 1)
		r, err := report.Parse(strings.NewReader(raw))
		if err != nil || r.Complaint() != complaint || r.FeedbackType != typ {
			t.Errorf("%s: complaint %v, %+v, %v", typ, complaint, r, err)
		}
	}
}

// A copy of a report re-wrapped on the way (other outer headers, CRLF line
// ends) has the same fingerprint; a different notice has another.
func TestFingerprint(t *testing.T) {
	raw := reportfixtures.Load(t, "postfix-delayed.eml", uid, domain, rcpt)
	first, _ := report.Parse(bytes.NewReader(raw))
	rewrapped := append([]byte("Received: from relay.test by mx.test; Mon, 2 Mar 2026 13:02:00 +0000\n"), raw...)
	rewrapped = bytes.ReplaceAll(rewrapped, []byte("\n"), []byte("\r\n"))
	copied, _ := report.Parse(bytes.NewReader(rewrapped))
	later, _ := report.Parse(strings.NewReader(strings.Replace(string(raw), "Status: 4.4.1", "Status: 4.4.2", 1)))
	if first.Fingerprint != copied.Fingerprint {
		t.Errorf("a copy has another fingerprint")
	}
	if first.Fingerprint == later.Fingerprint {
		t.Errorf("another notice has the same fingerprint")
	}
}

func TestStatusFromTheDiagnostic(t *testing.T) {
	dsn := func(fields string) string {
		return "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: message/delivery-status\n\n" +
			"Reporting-MTA: dns; mx.test\n\n" + fields + "\n--b--\n"
	}
	for fields, want := range map[string]report.Recipient{
		"Final-Recipient: rfc822; a@b.test\nAction: failed\nStatus: 5.0.0 (permanent failure)\nDiagnostic-Code: smtp; 550-5.2.1 The account is disabled":     {FinalRecipient: "a@b.test", Action: "failed", Status: "5.0.0", Diagnostic: "550-5.2.1 The account is disabled"},
		"Final-Recipient: rfc822; <a@b.test>\nAction: Failed\nDiagnostic-Code: smtp; 550-5.2.1 The account is disabled":                                      {FinalRecipient: "a@b.test", Action: "failed", Status: "5.2.1", Diagnostic: "550-5.2.1 The account is disabled"},
		"Final-Recipient: rfc822; a@b.test\nAction: failed\nDiagnostic-Code: smtp; 554 mailbox unavailable":                                                  {FinalRecipient: "a@b.test", Action: "failed", Status: "5.0.0", Diagnostic: "554 mailbox unavailable"},
		"Final-Recipient: rfc822; a@b.test\nAction: delivered (relayed to a non-DSN-aware mailer)\nStatus: 2.0.0":                                            {FinalRecipient: "a@b.test", Action: "delivered", Status: "2.0.0"},
		"Final-Recipient: rfc822; a@b.test\nAction: failed\nStatus: 4.4.7\nDiagnostic-Code: X-Postfix; delivery temporarily suspended: connection timed out": {FinalRecipient: "a@b.test", Action: "failed", Status: "4.4.7", Diagnostic: "delivery temporarily suspended: connection timed out"},
	} {
		r, err := report.Parse(strings.NewReader(dsn(fields)))
		if err != nil || len(r.Recipients) != 1 || r.Recipients[0] != want {
			t.Errorf("%q:\n got %+v %v\nwant %+v", fields, r, err, want)
			continue
		}
		_, bounced := r.Bounce()
		if bounced != (want.Action != "delivered") || r.Recipients[0].Permanent() != strings.HasPrefix(want.Status, "5.") {
			t.Errorf("%q: bounced %v, permanent %v", fields, bounced, r.Recipients[0].Permanent())
		}
	}
}

func TestWhatIsNotAReport(t *testing.T) {
	deep := ""
	for i := range 10 {
		deep += fmt.Sprintf("Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
	}
	deep += "Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.test\nAction: failed\nStatus: 5.1.1\n"
	for i := 9; i >= 0; i-- {
		deep += fmt.Sprintf("\n--b%d--\n", i)
	}
	for name, raw := range map[string]string{
		"empty":             "",
		"plain-text bounce": "From: MAILER-DAEMON@old.test\nSubject: failure notice\n\nHi. This is the qmail-send program. Sorry, I couldn't deliver.\n",
		"auto-reply":        "Subject: Out of office\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n",
		"binary":            "\x00\x01\x02\xff\xfe\n\n\x00",
		"bad header":        " leading space\nx\n\n",
		"no boundary":       "Content-Type: multipart/report; report-type=delivery-status\n\n--\n",
		"unclosed":          "Content-Type: multipart/report; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello",
		"too deep":          deep,
		"report out of reach": "Content-Type: multipart/mixed; boundary=b\n\n" + strings.Repeat("--b\nContent-Type: text/plain\n\nx\n", 100) +
			"--b\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.test\nAction: failed\nStatus: 5.1.1\n--b--\n",
	} {
		r, err := report.Parse(strings.NewReader(raw))
		if err == nil {
			t.Errorf("%s: read as %+v", name, r)
		}
	}
	if _, err := report.Parse(strings.NewReader("Subject: x\n\nhello\n")); !errors.Is(err, report.ErrNoReport) {
		t.Errorf("a plain message: %v", err)
	}
}

var statusForm = regexp.MustCompile(`^([245]\.\d{1,3}\.\d{1,3})?$`)

func FuzzParse(f *testing.F) {
	for _, name := range reportfixtures.Names() {
		f.Add(reportfixtures.Load(f, name, uid, domain, rcpt))
	}
	f.Add([]byte("Content-Type: message/delivery-status\n\nStatus: 5.1.1\n\nStatus: 4.0.0\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := report.Parse(bytes.NewReader(raw))
		if err != nil {
			return
		}
		for _, rc := range r.Recipients {
			if !statusForm.MatchString(rc.Status) {
				t.Errorf("status %q", rc.Status)
			}
			if rc.Permanent() && !rc.Bounced() {
				t.Errorf("permanent but not bounced: %+v", rc)
			}
		}
		if r.Kind != report.DeliveryStatus && r.Kind != report.Feedback {
			t.Errorf("kind %v", r.Kind)
		}
	})
}
