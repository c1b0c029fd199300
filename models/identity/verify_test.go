package identity_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/store"
)

// identityFixture is a store with one domain and a DNS server that the test
// fills with the domain's zone.
type identityFixture struct {
	t      *testing.T
	st     *store.Store
	dns    *dnstest.Server
	lookup identity.DNSLookup
	domain *identity.Domain
}

func newIdentityFixture(t *testing.T) *identityFixture {
	t.Helper()
	st, _ := fixtures.Store(t)
	srv := dnstest.Start(t)
	// The default route sends beside the registered address; the bounce
	// host's address stands for it.
	srv.Set(t, "mail.sesame.test. 300 IN A 198.51.100.7")
	res, err := mailer.NewResolver(srv.Addr, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "203.0.113.5", HeloHost: "mta1.sesame.test", Pool: identity.PoolShared}); err != nil {
		t.Fatal(err)
	}
	d, err := st.Domains.AddDomain(ctx, "Example.TEST", 0)
	if err != nil {
		t.Fatal(err)
	}
	return &identityFixture{t: t, st: st, dns: srv, lookup: res, domain: d}
}

func (f *identityFixture) records() []identity.DNSRecord {
	f.t.Helper()
	recs, err := f.st.Domains.DomainRecords(ctx, f.domain)
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

// publishAll publishes every record exactly as Sesame asks.
func (f *identityFixture) publishAll() {
	f.t.Helper()
	f.dns.Publish(f.t, f.records())
}

func (f *identityFixture) verify() (*identity.Domain, map[identity.RecordKind]identity.DNSRecord) {
	f.t.Helper()
	d, recs, err := f.st.Domains.VerifyDomain(ctx, f.lookup, f.domain.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	f.domain = d
	out := map[identity.RecordKind]identity.DNSRecord{}
	for _, r := range recs {
		if _, seen := out[r.Kind]; !seen {
			out[r.Kind] = r
		}
	}
	return d, out
}

func wantRecord(t *testing.T, recs map[identity.RecordKind]identity.DNSRecord, kind identity.RecordKind, status identity.RecordStatus, explanation string) {
	t.Helper()
	r := recs[kind]
	if r.Status != status || r.Explanation != explanation {
		t.Errorf("%s: %s %q\n   want %s %q", kind, r.Status, r.Explanation, status, explanation)
	}
}

func TestExpectedRecords(t *testing.T) {
	f := newIdentityFixture(t)
	recs := f.records()
	if len(recs) != 6 {
		t.Fatalf("%d records", len(recs))
	}
	want := []struct{ kind, typ, name, prefix string }{
		{"ownership", "TXT", "_sesame.example.test", "sesame-verification="},
		{"spf", "TXT", "example.test", "v=spf1 ip4:203.0.113.5 a:mail.sesame.test ~all"},
		{"dkim", "TXT", "sesame1._domainkey.example.test", "v=DKIM1; k=rsa; p=MIIBIjAN"},
		{"dmarc", "TXT", "_dmarc.example.test", "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.test"},
		{"return_path", "MX", "bounce.example.test", "10 mail.sesame.test"},
		{"return_path_spf", "TXT", "bounce.example.test", "v=spf1 ip4:203.0.113.5 a:mail.sesame.test ~all"},
	}
	for i, w := range want {
		r := recs[i]
		if string(r.Kind) != w.kind || r.Type != w.typ || r.Name != w.name || !strings.HasPrefix(r.Value, w.prefix) || r.Status != identity.RecordUnchecked {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	dkim := recs[2]
	if dkim.Host("example.test") != "sesame1._domainkey" || !dkim.Required || recs[3].Required {
		t.Errorf("dkim host %q required %v, dmarc required %v", dkim.Host("example.test"), dkim.Required, recs[3].Required)
	}
	// A 2048-bit key is longer than one TXT string: the zone form splits it.
	if len(dkim.Value) <= 255 || strings.Count(dkim.ZoneValue(), `" "`) != 1 {
		t.Errorf("zone value of a %d-byte key: %s", len(dkim.Value), dkim.ZoneValue())
	}
}

func TestVerifyAllRight(t *testing.T) {
	f := newIdentityFixture(t)
	f.publishAll()
	d, recs := f.verify()
	if !d.Verified() || d.Drift {
		t.Fatalf("domain %s drift=%v", d.Status, d.Drift)
	}
	wantRecord(t, recs, identity.RecordOwnership, identity.RecordPass, "The verification token matches.")
	wantRecord(t, recs, identity.RecordSPF, identity.RecordPass, "Authorises every address Sesame sends from.")
	wantRecord(t, recs, identity.RecordDKIM, identity.RecordPass, "The published key matches selector sesame1.")
	wantRecord(t, recs, identity.RecordDMARC, identity.RecordPass, "Valid, in monitoring mode (p=none): tighten it once reports look clean.")
	wantRecord(t, recs, identity.RecordReturnPath, identity.RecordPass, "Bounces for bounce.example.test reach Sesame.")
	wantRecord(t, recs, identity.RecordReturnPathSPF, identity.RecordPass, "Authorises every address Sesame sends from.")
	// The key split over several strings was joined (the zone holds two).
	if got := recs[identity.RecordDKIM].Current; got != recs[identity.RecordDKIM].Value {
		t.Errorf("current DKIM value not joined: %q", got)
	}
	keys, err := f.st.Domains.SigningKeys(ctx, d.ID)
	if err != nil || len(keys) != 1 || keys[0].Selector != "sesame1" {
		t.Errorf("signing keys after verification: %v %v", keys, err)
	}
}

func TestVerifyFindsWhatIsWrong(t *testing.T) {
	f := newIdentityFixture(t)
	f.publishAll()

	// A different key at the DKIM selector.
	f.dns.Set(t, `sesame1._domainkey.example.test. 300 IN TXT "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zwt"`)
	// An SPF record that does not cover 203.0.113.5.
	f.dns.Set(t, `example.test. 300 IN TXT "v=spf1 ip4:198.51.100.0/24 include:_spf.provider.test -all"`,
		`_spf.provider.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"`)
	// Two SPF records on the bounce domain, and a DMARC typo.
	f.dns.Set(t, `bounce.example.test. 300 IN TXT "v=spf1 ip4:203.0.113.5 ~all"`, `bounce.example.test. 300 IN TXT "v=spf1 -all"`,
		`bounce.example.test. 300 IN MX 10 mx.elsewhere.test.`)
	f.dns.Set(t, `_dmarc.example.test. 300 IN TXT "v=DMARC1; p=block"`)

	d, recs := f.verify()
	if d.Verified() {
		t.Fatal("verified with a wrong DKIM key and SPF")
	}
	wantRecord(t, recs, identity.RecordOwnership, identity.RecordPass, "The verification token matches.")
	wantRecord(t, recs, identity.RecordDKIM, identity.RecordFail, "The published key differs from Sesame's key for selector sesame1 (an old key, or a copy error).")
	wantRecord(t, recs, identity.RecordSPF, identity.RecordFail, "Does not authorise 203.0.113.5 (the result is fail). Add ip4:203.0.113.5 to this record rather than publishing a second one.")
	wantRecord(t, recs, identity.RecordReturnPathSPF, identity.RecordFail, "2 SPF records found; RFC 7208 makes receivers treat that as an error. Merge them into one.")
	wantRecord(t, recs, identity.RecordReturnPath, identity.RecordFail, "The MX points elsewhere; it must name mail.sesame.test so bounces reach Sesame.")
	wantRecord(t, recs, identity.RecordDMARC, identity.RecordFail, "p=block is not a policy; use none, quarantine or reject.")

	// Nothing published at all.
	for _, name := range []string{"_sesame.example.test", "example.test", "sesame1._domainkey.example.test", "_dmarc.example.test", "bounce.example.test"} {
		f.dns.Remove(name)
	}
	_, recs = f.verify()
	wantRecord(t, recs, identity.RecordOwnership, identity.RecordMissing, "No TXT record at _sesame.example.test. Publish it to prove you control the domain.")
	wantRecord(t, recs, identity.RecordSPF, identity.RecordMissing, "No SPF record on example.test. Publish the value below.")
	wantRecord(t, recs, identity.RecordDKIM, identity.RecordMissing, "No TXT record at sesame1._domainkey.example.test. Publish the key below.")
	wantRecord(t, recs, identity.RecordDMARC, identity.RecordWarning, "No DMARC record. Not required to send, but mailbox providers expect one: start with p=none.")
	wantRecord(t, recs, identity.RecordReturnPath, identity.RecordWarning, "No MX record for bounce.example.test: bounces will not reach Sesame, and the envelope sender will not align for SPF.")
	wantRecord(t, recs, identity.RecordReturnPathSPF, identity.RecordWarning, "No SPF record on bounce.example.test. Publish the value below.")
}

func TestVerifyCouldNotCheck(t *testing.T) {
	f := newIdentityFixture(t)
	f.publishAll()
	f.dns.ServFail("sesame1._domainkey.example.test")
	f.dns.Silence("example.test")
	d, recs := f.verify()
	if d.Verified() {
		t.Fatal("verified although DKIM and SPF could not be checked")
	}
	wantRecord(t, recs, identity.RecordDKIM, identity.RecordUnknown, "Could not check: the DNS lookup of sesame1._domainkey.example.test SERVFAIL. Sesame will try again.")
	wantRecord(t, recs, identity.RecordSPF, identity.RecordUnknown, "Could not check: the DNS lookup of example.test timed out. Sesame will try again.")
	wantRecord(t, recs, identity.RecordOwnership, identity.RecordPass, "The verification token matches.")
}

func TestVerifySPFLimitsAndIncludes(t *testing.T) {
	f := newIdentityFixture(t)
	f.publishAll()
	// Eleven chained includes exceed the 10-lookup limit.
	f.dns.Set(t, `example.test. 300 IN TXT "v=spf1 include:l1.test -all"`)
	for i := 1; i <= 11; i++ {
		body := "v=spf1 include:l" + strconv.Itoa(i+1) + ".test -all"
		if i == 11 {
			body = "v=spf1 ip4:203.0.113.5 ip4:198.51.100.7 -all"
		}
		f.dns.Set(t, "l"+strconv.Itoa(i)+`.test. 300 IN TXT "`+body+`"`)
	}
	_, recs := f.verify()
	wantRecord(t, recs, identity.RecordSPF, identity.RecordFail, "The SPF record is invalid: more than 10 DNS lookups.")

	// Ten lookups (a redirect, then nine includes) are within the limit.
	f.dns.Set(t, `example.test. 300 IN TXT "v=spf1 redirect=l3.test"`)
	d, recs := f.verify()
	wantRecord(t, recs, identity.RecordSPF, identity.RecordPass, "Authorises every address Sesame sends from.")
	if !d.Verified() {
		t.Error("not verified with a valid redirect chain")
	}
}

func TestDriftAfterVerification(t *testing.T) {
	f := newIdentityFixture(t)
	f.publishAll()
	d, _ := f.verify()
	if !d.Verified() {
		t.Fatal("not verified")
	}
	f.dns.Remove("sesame1._domainkey.example.test")
	d, recs := f.verify()
	if !d.Verified() || !d.Drift || d.DriftReason != "DNS changed since verification: DKIM RSA-2048 missing." {
		t.Fatalf("after removal: status %s drift %v %q", d.Status, d.Drift, d.DriftReason)
	}
	wantRecord(t, recs, identity.RecordDKIM, identity.RecordMissing, "No TXT record at sesame1._domainkey.example.test. Publish the key below.")
	drifting, _ := f.st.Domains.DriftingDomains(ctx)
	if len(drifting) != 1 {
		t.Errorf("%d drifting domains", len(drifting))
	}
	// The signing key stays usable: queued mail still goes out, signed.
	if keys, _ := f.st.Domains.SigningKeys(ctx, d.ID); len(keys) != 1 {
		t.Errorf("signing keys during drift: %d", len(keys))
	}
	f.publishAll()
	d, _ = f.verify()
	if d.Drift {
		t.Error("drift not cleared after the record came back")
	}
}

func TestDKIMRotationAndDualSigning(t *testing.T) {
	f := newIdentityFixture(t)
	f.publishAll()
	f.verify()
	newKey, err := f.st.Domains.AddDKIMKey(ctx, f.domain.ID, identity.DKIMRSA)
	if err != nil || newKey.Selector != "sesame2" {
		t.Fatalf("rotate: %v %v", newKey, err)
	}
	if _, err := f.st.Domains.AddDKIMKey(ctx, f.domain.ID, identity.DKIMRSA); err == nil {
		t.Error("a second pending rotation was accepted")
	}
	ed, err := f.st.Domains.AddDKIMKey(ctx, f.domain.ID, identity.DKIMEd25519)
	if err != nil || ed.Selector != "sesame3" || !strings.HasPrefix(ed.RecordValue(), "v=DKIM1; k=ed25519; p=") {
		t.Fatalf("ed25519: %v %v", ed, err)
	}
	// Until the new records are published, sesame1 alone signs.
	f.verify()
	if keys, _ := f.st.Domains.SigningKeys(ctx, f.domain.ID); len(keys) != 1 || keys[0].Selector != "sesame1" {
		t.Fatalf("signing before publication: %+v", keys)
	}
	f.publishAll()
	f.verify()
	keys, err := f.st.Domains.SigningKeys(ctx, f.domain.ID)
	if err != nil || len(keys) != 2 {
		t.Fatalf("signing keys: %+v %v", keys, err)
	}
	got := map[string]identity.DKIMAlgorithm{}
	for _, k := range keys {
		got[k.Selector] = k.Algorithm
	}
	if got["sesame2"] != identity.DKIMRSA || got["sesame3"] != identity.DKIMEd25519 {
		t.Errorf("after publication: %v", got)
	}
	// The retired key's record is no longer asked for.
	for _, r := range f.records() {
		if r.Kind == identity.RecordDKIM && r.DKIMKey.Selector == "sesame1" {
			t.Error("retired selector still listed")
		}
	}
}

func TestAddDomainValidates(t *testing.T) {
	st, _ := fixtures.Store(t)
	for raw, want := range map[string]string{
		"":              "The domain name enter a domain name.",
		"localhost":     "Enter a full domain name such as example.com.",
		"co.uk":         "co.uk is a public suffix: enter a domain registered under it, such as example.co.uk.",
		"exa mple.com":  "The domain name is not a valid domain name.",
		"-bad-.example": "The domain name is not a valid domain name.",
	} {
		_, err := st.Domains.AddDomain(ctx, raw, 0)
		if got := fixtures.FieldErrors(t, err)["name"]; got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
	d, err := st.Domains.AddDomain(ctx, "Bücher.example", 1024)
	if err != nil || d.Name != "xn--bcher-kva.example" || d.DisplayName() != "bücher.example" {
		t.Fatalf("IDN: %+v %v", d, err)
	}
	if _, err := st.Domains.AddDomain(ctx, "XN--BCHER-KVA.example", 0); fixtures.FieldErrors(t, err)["name"] != "xn--bcher-kva.example is already added." {
		t.Errorf("duplicate: %v", err)
	}
	// A pasted URL gives its host.
	for _, raw := range []string{"https://Example.com/", " HTTP://example.com/path?q=1 ", "example.com#x"} {
		if name, err := identity.ValidateSendingDomain(raw); name != "example.com" || err != nil {
			t.Errorf("%q: %q, %v", raw, name, err)
		}
	}
	keys, _ := st.Domains.DKIMKeys(ctx, d.ID)
	if len(keys) != 1 || keys[0].Bits != 1024 || keys[0].State != identity.DKIMPending {
		t.Errorf("keys: %+v", keys)
	}
	// The private key is sealed, not stored in clear.
	if strings.Contains(string(keys[0].PrivateKey), "PRIVATE KEY") || len(keys[0].PrivateKey) < 500 {
		t.Errorf("private key at rest looks wrong (%d bytes)", len(keys[0].PrivateKey))
	}
}
