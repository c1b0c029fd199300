package identity_test

import (
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
)

// "The relay signs": refused unless delivery goes through a relay; then the
// domain's mail has no signing key, its checklist no DKIM record, and it
// verifies without one. Delivered any other way, Sesame signs again.
func TestRelaySignsLane(t *testing.T) {
	cfg := testdb.Config(t)
	direct := testdb.OpenConfig(t, cfg)
	cfg.Identity.Relay = "smarthost.example:587"
	relayed := testdb.OpenConfig(t, cfg)
	dns := dnstest.Start(t)
	dns.Set(t, testdb.BounceHost+". 300 IN A 127.0.0.1")

	d, err := relayed.Domains.AddDomain(ctx, "relayed.test", 2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := direct.Domains.SetRelaySigns(ctx, d.ID, true); fixtures.FieldErrors(t, err)["relay_signs"] == "" {
		t.Fatalf("the relay signs, with delivery straight to MX: %v", err)
	}
	if _, err := relayed.Domains.SetRelaySigns(ctx, 999, true); err != models.ErrNotFound {
		t.Errorf("no such domain: %v", err)
	}
	if d, err = relayed.Domains.SetRelaySigns(ctx, d.ID, true); err != nil || !d.RelaySigns {
		t.Fatalf("the relay signs, through a relay: %+v %v", d, err)
	}
	if !relayed.Domains.Identity().RelaySigns(d) || direct.Domains.Identity().RelaySigns(d) {
		t.Error("RelaySigns: only where delivery goes through a relay")
	}

	recs, err := relayed.Domains.DomainRecords(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Kind == identity.RecordDKIM {
			t.Errorf("the checklist asks for Sesame's DKIM record %s", r.Name)
		}
	}
	dns.Publish(t, recs)
	res, _ := mailer.NewResolver(dns.Addr, time.Second)
	if d, _, err = relayed.Domains.VerifyDomain(ctx, res, d.ID); err != nil || !d.Verified() {
		t.Fatalf("verified without a DKIM record: %+v %v", d, err)
	}
	if keys, err := relayed.Domains.SigningKeys(ctx, d.ID); err != nil || len(keys) != 0 {
		t.Errorf("signing keys while the relay signs: %v %v", keys, err)
	}

	// A domain Sesame signed for: its active key no longer signs through
	// the relay, and still signs when delivered straight to MX, whose
	// checklist asks for the DKIM record.
	signed := fixtures.VerifiedDomain(t, relayed, dns, "signed.test")
	if keys, _ := relayed.Domains.SigningKeys(ctx, signed.ID); len(keys) == 0 {
		t.Fatal("no signing key before the relay signs")
	}
	if _, err := relayed.Domains.SetRelaySigns(ctx, signed.ID, true); err != nil {
		t.Fatal(err)
	}
	if keys, _ := relayed.Domains.SigningKeys(ctx, signed.ID); len(keys) != 0 {
		t.Errorf("%d signing keys through the relay that signs", len(keys))
	}
	if keys, _ := direct.Domains.SigningKeys(ctx, signed.ID); len(keys) == 0 {
		t.Error("no signing key when delivered straight to MX")
	}
	recs, _ = direct.Domains.DomainRecords(ctx, signed)
	dkim := 0
	for _, r := range recs {
		if r.Kind == identity.RecordDKIM && r.Required {
			dkim++
		}
	}
	if dkim != 1 {
		t.Errorf("%d required DKIM records without a relay, want 1", dkim)
	}

	if d, err = direct.Domains.SetRelaySigns(ctx, d.ID, false); err != nil || d.RelaySigns {
		t.Fatalf("Sesame signs again, allowed anywhere: %+v %v", d, err)
	}
	if recs, _ = relayed.Domains.DomainRecords(ctx, d); !hasKind(recs, identity.RecordDKIM) {
		t.Error("Sesame signs again, and the checklist does not ask for its record")
	}
}

func hasKind(recs []identity.DNSRecord, k identity.RecordKind) bool {
	for _, r := range recs {
		if r.Kind == k {
			return true
		}
	}
	return false
}
