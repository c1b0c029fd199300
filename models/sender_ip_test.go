package models_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/models"
)

func TestSPFIncludeMode(t *testing.T) {
	cfg := testdb.Config(t)
	cfg.Identity.SPFInclude = "_spf.sesame.test"
	st := testdb.OpenConfig(t, cfg)
	srv := dnstest.Start(t)
	res, _ := mailer.NewResolver(srv.Addr, time.Second)
	d, err := st.AddDomain(ctx, "example.test", 0)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := st.DomainRecords(ctx, d)
	if recs[1].Value != "v=spf1 include:_spf.sesame.test ~all" {
		t.Fatalf("expected SPF %q", recs[1].Value)
	}
	srv.Set(t, `example.test. 300 IN TXT "v=spf1 include:_spf.google.test ~all"`, `_spf.google.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 ~all"`)
	_, recs, _ = st.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != models.RecordFail || recs[1].Explanation != "Does not include _spf.sesame.test. Add include:_spf.sesame.test to this record." {
		t.Errorf("without the include: %s %q", recs[1].Status, recs[1].Explanation)
	}
	srv.Set(t, `example.test. 300 IN TXT "v=spf1 include:_spf.google.test include:_spf.sesame.test ~all"`, `_spf.sesame.test. 300 IN TXT "v=spf1 ip4:203.0.113.0/24 ~all"`)
	_, recs, _ = st.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != models.RecordPass {
		t.Errorf("with the include: %s %q", recs[1].Status, recs[1].Explanation)
	}
}

func TestDefaultRouteSPFUsesTheBounceHost(t *testing.T) {
	st, _ := newStore(t)
	srv := dnstest.Start(t)
	res, _ := mailer.NewResolver(srv.Addr, time.Second)
	d, _ := st.AddDomain(ctx, "example.test", 0)
	recs, _ := st.DomainRecords(ctx, d)
	if recs[1].Value != "v=spf1 a:"+testdb.BounceHost+" ~all" {
		t.Fatalf("SPF with only the default route: %q", recs[1].Value)
	}
	srv.Set(t, "mail.sesame.test. 300 IN A 198.51.100.7", `example.test. 300 IN TXT "v=spf1 a:mail.sesame.test ~all"`)
	_, recs, _ = st.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != models.RecordPass {
		t.Errorf("a:bounce-host: %s %q", recs[1].Status, recs[1].Explanation)
	}
	srv.Set(t, `example.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 -all"`)
	_, recs, _ = st.VerifyDomain(ctx, res, d.ID)
	if recs[1].Status != models.RecordPass {
		t.Errorf("covering prefix: %s %q", recs[1].Status, recs[1].Explanation)
	}
}

func verifiedDomain(t *testing.T, st *models.Store, name string) *models.Domain {
	t.Helper()
	srv := dnstest.Start(t)
	res, _ := mailer.NewResolver(srv.Addr, time.Second)
	d, err := st.AddDomain(ctx, name, 1024)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := st.DomainRecords(ctx, d)
	srv.Publish(t, recs)
	srv.Set(t, testdb.BounceHost+". 300 IN A 127.0.0.1")
	d, _, err = st.VerifyDomain(ctx, res, d.ID)
	if err != nil || !d.Verified() {
		t.Fatalf("verify %s: %v", name, err)
	}
	return d
}

func TestSenderAddresses(t *testing.T) {
	st, _ := newStore(t)
	if _, err := st.AddDomain(ctx, "pending.test", 1024); err != nil {
		t.Fatal(err)
	}
	verifiedDomain(t, st, "example.test")

	for email, want := range map[string]string{
		"news@pending.test": "pending.test is not verified yet: publish its DNS records and check again.",
		"news@other.test":   "other.test is not a sending domain here. An admin must add and verify it first.",
		"not an address":    "The address is not a valid email address.",
	} {
		_, err := st.CreateSender(ctx, email, "News")
		if got := fieldErrors(t, err)["email"]; got != want {
			t.Errorf("%s: %q", email, got)
		}
	}
	for name, want := range map[string]string{
		"News: daily":        "A display name cannot contain :, < or >.",
		"News\r\nBcc: x@y":   "A display name cannot contain :, < or >.",
		"News\r\nX-Evil 1":   "A display name cannot contain line breaks or control characters.",
		string([]byte{0xff}): "The display name is not valid text.",
	} {
		_, err := st.CreateSender(ctx, "news@example.test", name)
		if got := fieldErrors(t, err)["display_name"]; got != want {
			t.Errorf("%q: %q", name, got)
		}
	}
	a, err := st.CreateSender(ctx, "News@Example.TEST", "Example News")
	if err != nil || a.Email != "News@example.test" {
		t.Fatalf("create: %+v %v", a, err)
	}
	if _, err := st.CreateSender(ctx, "News@example.test", ""); fieldErrors(t, err)["email"] != "News@example.test is already a sender address." {
		t.Errorf("duplicate: %v", err)
	}

	for pw, want := range map[string]string{
		"short1":                "Use 10 to 20 characters.",
		"abcdefghijklmnopqrstu": "Use 10 to 20 characters.",
		"onlyletters":           "Use both letters and digits.",
		"12345678901":           "Use both letters and digits.",
		"with space 123":        "Use letters, digits and punctuation only, without spaces.",
	} {
		if got := fieldErrors(t, st.SetSMTPPassword(ctx, a.ID, pw))["smtp_password"]; got != want {
			t.Errorf("password %q: %q", pw, got)
		}
	}
	if _, err := st.AuthenticateSMTP(ctx, a.Email, "anything12"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("auth without a password set: %v", err)
	}
	if err := st.SetSMTPPassword(ctx, a.ID, "Secret2026x"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetSMTPPassword(ctx, a.ID, "Secret2026x"); !errors.Is(err, models.ErrSamePassword) {
		t.Errorf("same password again: %v", err)
	}
	got, err := st.AuthenticateSMTP(ctx, "news@EXAMPLE.test", "Secret2026x")
	if err == nil {
		t.Errorf("local part is case-sensitive, yet %s authenticated", got.Email)
	}
	if _, err := st.AuthenticateSMTP(ctx, "News@example.test", "Secret2026x"); err != nil {
		t.Errorf("auth: %v", err)
	}
	if _, err := st.AuthenticateSMTP(ctx, "News@example.test", "Wrong2026xx"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	stored, _ := st.GetSender(ctx, a.ID)
	if stored.SMTPPasswordHash == "" || stored.SMTPPasswordHash == "Secret2026x" {
		t.Error("SMTP password not hashed")
	}
}

func TestSendingIPs(t *testing.T) {
	st, clock := newStore(t)
	a := verifiedDomain(t, st, "a.test")
	b := verifiedDomain(t, st, "b.test")

	for _, tc := range []struct {
		in    models.NewSendingIP
		field string
		want  string
	}{
		{models.NewSendingIP{Address: "nope", HeloHost: "mta.test", Pool: models.PoolShared}, "address", "Enter an IPv4 or IPv6 address, such as 203.0.113.10."},
		{models.NewSendingIP{Address: "0.0.0.0", HeloHost: "mta.test", Pool: models.PoolShared}, "address", "This address cannot send mail."},
		{models.NewSendingIP{Address: "127.0.0.2", HeloHost: "", Pool: models.PoolShared}, "helo_host", "Enter the host name this address greets with (its PTR name), such as mta1.example.com."},
		{models.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta.test", Pool: "private"}, "pool", "Choose shared or dedicated."},
	} {
		_, err := st.AddSendingIP(ctx, tc.in)
		if got := fieldErrors(t, err)[tc.field]; got != tc.want {
			t.Errorf("%+v: %q", tc.in, got)
		}
	}
	ded, err := st.AddSendingIP(ctx, models.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta2.sesame.test", Pool: models.PoolDedicated})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddSendingIP(ctx, models.NewSendingIP{Address: "127.0.0.2", HeloHost: "x.test", Pool: models.PoolShared}); fieldErrors(t, err)["address"] != "127.0.0.2 is already registered." {
		t.Errorf("duplicate: %v", err)
	}
	if !models.IPConfiguredHere("127.0.0.2") || models.IPConfiguredHere("203.0.113.99") {
		t.Error("IPConfiguredHere")
	}

	clock.Advance(time.Hour)
	if _, err := st.UpdateSendingIP(ctx, ded.ID, models.SendingIPChange{HeloHost: "mta2.sesame.test", Pool: models.PoolDedicated, DomainIDs: []uint64{a.ID}}); err != nil {
		t.Fatal(err)
	}
	ipsA, _ := st.SendingIPsForDomain(ctx, a.ID)
	ipsB, _ := st.SendingIPsForDomain(ctx, b.ID)
	if len(ipsA) != 1 || ipsA[0].Address != "127.0.0.2" {
		t.Errorf("a.test sends from %+v", ipsA)
	}
	if len(ipsB) != 1 || !ipsB[0].IsDefaultRoute() {
		t.Errorf("b.test sends from %+v", ipsB)
	}
	// a.test's SPF must now list 127.0.0.2: it is queued for a re-check.
	da, _ := st.GetDomain(ctx, a.ID)
	if !da.NextCheckAt.Equal(clock.Now()) {
		t.Errorf("a.test next check %v, want now %v", da.NextCheckAt, clock.Now())
	}
	recs, _ := st.DomainRecords(ctx, da)
	if recs[1].Value != "v=spf1 ip4:127.0.0.2 ~all" {
		t.Errorf("a.test SPF %q", recs[1].Value)
	}
	ips, _ := st.ListSendingIPs(ctx)
	if len(ips) != 2 || ips[1].Address != "127.0.0.2" || len(ips[1].Domains) != 1 || ips[1].Domains[0].Name != "a.test" {
		t.Errorf("list: %+v", ips)
	}
	// The default route cannot be removed or made dedicated.
	if err := st.DeleteSendingIP(ctx, ips[0].ID); !errors.Is(err, models.ErrConflict) {
		t.Errorf("delete default route: %v", err)
	}
	if _, err := st.UpdateSendingIP(ctx, ips[0].ID, models.SendingIPChange{Pool: models.PoolDedicated}); fieldErrors(t, err)["pool"] == "" {
		t.Errorf("default route made dedicated: %v", err)
	}
	// Back to the shared pool: assignments go.
	ip, err := st.UpdateSendingIP(ctx, ded.ID, models.SendingIPChange{HeloHost: "mta2.sesame.test", Pool: models.PoolShared, DomainIDs: []uint64{a.ID}})
	if err != nil || len(ip.Domains) != 0 {
		t.Errorf("shared with domains: %+v %v", ip, err)
	}
	if err := st.DeleteSendingIP(ctx, ded.ID); err != nil {
		t.Error(err)
	}
}
