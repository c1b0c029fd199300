package audience_test

import (
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/audience"
)

// The suppression rule exists twice: in Go (Suppression.Stops, which
// SuppressedAmong applies, for the engine and single sends) and in SQL
// (SuppressedSQL, for the statements that queue or count a whole group).
// One table of cases runs through both, on the suite's database.
func TestSuppressionRuleAgreesInGoAndSQL(t *testing.T) {
	st, clock := fixtures.Store(t)
	now := clock.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	entries := []audience.Suppression{
		{Kind: audience.SuppressAddress, Value: "ann@example.net", Reason: audience.ReasonHardBounce},
		{Kind: audience.SuppressDomain, Value: "blocked.example", Reason: audience.ReasonManual},
		{Kind: audience.SuppressAddress, Value: "bob@example.net", Reason: audience.ReasonUnsubscribe, ScopeDomain: "news.example.com"},
		{Kind: audience.SuppressDomain, Value: "partner.example", Reason: audience.ReasonUnsubscribe, ScopeDomain: "news.example.com"},
		{Kind: audience.SuppressAddress, Value: "old@example.net", Reason: audience.ReasonManual, ExpiresAt: &past},
		{Kind: audience.SuppressAddress, Value: "later@example.net", Reason: audience.ReasonManual, ExpiresAt: &future},
		{Kind: audience.SuppressAddress, Value: "sub.blocked.example", Reason: audience.ReasonManual}, // an address entry that looks like a domain
	}
	for i := range entries {
		entries[i].Source, entries[i].CreatedAt = "test", now
		if err := st.DB.Gorm.Create(&entries[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		email, sender string
		want          bool
	}{
		{"ann@example.net", "news.example.com", true}, {"Ann@Example.NET", "other.example.org", true},
		{"carl@blocked.example", "news.example.com", true}, {"carl@sub.blocked.example", "news.example.com", false},
		{"bob@example.net", "news.example.com", true}, {"bob@example.net", "other.example.org", false},
		{"dee@partner.example", "news.example.com", true}, {"dee@partner.example", "other.example.org", false},
		{"old@example.net", "news.example.com", false}, {"later@example.net", "news.example.com", true},
		{"eve@example.net", "news.example.com", false}, {"user@blocked.example.net", "news.example.com", false},
	}
	for _, c := range cases {
		inGo := false
		for i := range entries {
			inGo = inGo || entries[i].Stops(c.email, c.sender, now)
		}
		amongs, err := st.Suppressions.SuppressedAmong(ctx, c.sender, []string{c.email})
		if err != nil {
			t.Fatal(err)
		}
		_, among := amongs[c.email]
		// The SQL reads addresses as the recipients table keeps them: normalised.
		stored, problem := audience.NormalizeRecipientEmail(c.email)
		if problem != "" {
			t.Fatal(problem)
		}
		var inSQL bool
		err = st.DB.Gorm.Raw("SELECT "+audience.SuppressedSQL(st.DB.Dialect(), "r.email")+" FROM (SELECT @email AS email) r",
			map[string]any{"email": stored, "now": now, "sender_domain": c.sender}).Scan(&inSQL).Error
		if err != nil {
			t.Fatal(err)
		}
		if inGo != c.want || among != c.want || inSQL != c.want {
			t.Errorf("%s from %s: want %v; Stops %v, SuppressedAmong %v, SQL %v", c.email, c.sender, c.want, inGo, among, inSQL)
		}
	}
}
