package audience_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/store"
)

func mustSuppress(t *testing.T, st *store.Store, in audience.SuppressionInput) *audience.Suppression {
	t.Helper()
	e, _, err := st.Suppressions.AddSuppression(ctx, in)
	if err != nil {
		t.Fatalf("suppress %s: %v", in.Value, err)
	}
	return e
}

func TestSuppressionSemantics(t *testing.T) {
	st, clock := fixtures.Store(t)
	bounce := mustSuppress(t, st, audience.SuppressionInput{Value: "Bounced@Example.com", Reason: audience.ReasonHardBounce, Source: "dsn 1"})
	mustSuppress(t, st, audience.SuppressionInput{Value: "unsub@example.com", Reason: audience.ReasonUnsubscribe, ScopeDomain: "News.Shop.com"})
	mustSuppress(t, st, audience.SuppressionInput{Value: "@blocked.org", Reason: audience.ReasonManual})
	mustSuppress(t, st, audience.SuppressionInput{Value: "angry@example.com", Reason: audience.ReasonComplaint, ScopeDomain: "ignored.com"})
	soon := clock.Now().Add(time.Hour)
	mustSuppress(t, st, audience.SuppressionInput{Value: "brief@example.com", Reason: audience.ReasonManual, ExpiresAt: &soon})

	emails := []string{"BOUNCED@example.com", "unsub@example.com", "anyone@Blocked.org", "angry@example.com", "brief@example.com", "fine@example.com", "not-an-address"}
	got, err := st.Suppressions.SuppressedAmong(ctx, "news.shop.com", emails)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]audience.SuppressionReason{
		"BOUNCED@example.com": audience.ReasonHardBounce, "unsub@example.com": audience.ReasonUnsubscribe,
		"anyone@Blocked.org": audience.ReasonManual, "angry@example.com": audience.ReasonComplaint, "brief@example.com": audience.ReasonManual,
	}
	if len(got) != len(want) {
		t.Errorf("suppressed %v", got)
	}
	for e, r := range want {
		if got[e].Reason != r {
			t.Errorf("%s: %q, want %q", e, got[e].Reason, r)
		}
	}
	if got["BOUNCED@example.com"].ID != bounce.ID || got["angry@example.com"].ScopeDomain != "" {
		t.Error("wrong entries returned")
	}
	// The unsubscribe came from news.shop.com; another sender may still write.
	other, _ := st.Suppressions.SuppressedAmong(ctx, "shop.com", emails)
	if _, ok := other["unsub@example.com"]; ok || len(other) != 4 {
		t.Errorf("from shop.com: %v", other)
	}
	// Expired entries stop applying.
	clock.Advance(2 * time.Hour)
	after, _ := st.Suppressions.SuppressedAmong(ctx, "shop.com", emails)
	if _, ok := after["brief@example.com"]; ok {
		t.Error("an expired entry still suppresses")
	}
	// For display, every scope counts.
	all, _ := st.Suppressions.SuppressionsOf(ctx, []string{"unsub@example.com"})
	if all["unsub@example.com"].RecipientStatus() != audience.RecipientUnsubscribed {
		t.Errorf("status %v", all)
	}
}

func TestAddSuppressionIsIdempotent(t *testing.T) {
	st, clock := fixtures.Store(t)
	in := audience.SuppressionInput{Value: "a@example.com", Reason: audience.ReasonHardBounce, Source: "dsn 1"}
	first, created, err := st.Suppressions.AddSuppression(ctx, in)
	if err != nil || !created {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	in.Source = "dsn 1 replayed"
	again, created, err := st.Suppressions.AddSuppression(ctx, in)
	if err != nil || created || again.ID != first.ID || again.Source != "dsn 1" || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("replay changed the entry: %+v created=%v %v", again, created, err)
	}
	list, total, _ := st.Suppressions.ListSuppressions(ctx, audience.SuppressionQuery{})
	if total != 1 || len(list) != 1 {
		t.Errorf("%d entries after a replay", total)
	}
	// A different reason is a second entry; an expired one is revived.
	mustSuppress(t, st, audience.SuppressionInput{Value: "a@example.com", Reason: audience.ReasonComplaint})
	exp := clock.Now().Add(time.Hour)
	m := mustSuppress(t, st, audience.SuppressionInput{Value: "m@example.com", Reason: audience.ReasonManual, ExpiresAt: &exp})
	clock.Advance(2 * time.Hour)
	revived, created, err := st.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "m@example.com", Reason: audience.ReasonManual})
	if err != nil || !created || revived.ID != m.ID || revived.ExpiresAt != nil {
		t.Errorf("revive: %+v %v %v", revived, created, err)
	}
	if hit, _ := st.Suppressions.SuppressedAmong(ctx, "", []string{"m@example.com"}); len(hit) != 1 {
		t.Error("revived entry does not apply")
	}
}

func TestSuppressionValidationAndList(t *testing.T) {
	st, clock := fixtures.Store(t)
	past := clock.Now().Add(-time.Hour)
	for _, tc := range []struct {
		in    audience.SuppressionInput
		field string
	}{
		{audience.SuppressionInput{Value: "", Reason: audience.ReasonManual}, "value"},
		{audience.SuppressionInput{Value: "a@b", Reason: audience.ReasonManual}, "value"},
		{audience.SuppressionInput{Value: "localhost", Reason: audience.ReasonManual}, "value"},
		{audience.SuppressionInput{Value: "a@example.com", Reason: "spam"}, "reason"},
		{audience.SuppressionInput{Value: "a@example.com", Reason: audience.ReasonUnsubscribe, ScopeDomain: "bad domain"}, "scope_domain"},
		{audience.SuppressionInput{Value: "a@example.com", Reason: audience.ReasonManual, ExpiresAt: &past}, "expires_at"},
	} {
		_, _, err := st.Suppressions.AddSuppression(ctx, tc.in)
		if fixtures.FieldErrors(t, err)[tc.field] == "" {
			t.Errorf("%+v: no error on %s: %v", tc.in, tc.field, err)
		}
	}
	for _, v := range []string{"b@example.com", "ba@example.com", "c@example.com", "example.net"} {
		mustSuppress(t, st, audience.SuppressionInput{Value: v, Reason: audience.ReasonManual})
		clock.Advance(time.Second)
	}
	list, total, err := st.Suppressions.ListSuppressions(ctx, audience.SuppressionQuery{Prefix: "B", Limit: 1})
	if err != nil || total != 2 || len(list) != 1 || list[0].Value != "ba@example.com" {
		t.Errorf("prefix search: %v %d %v", list, total, err)
	}
	domain, _, _ := st.Suppressions.ListSuppressions(ctx, audience.SuppressionQuery{Prefix: "example.net"})
	if len(domain) != 1 || domain[0].Kind != audience.SuppressDomain {
		t.Errorf("domain entry %+v", domain)
	}
	if err := st.Suppressions.RemoveSuppression(ctx, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := st.Suppressions.RemoveSuppression(ctx, list[0].ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second remove: %v", err)
	}
}

func TestImportSuppressions(t *testing.T) {
	st, _ := fixtures.Store(t)
	mustSuppress(t, st, audience.SuppressionInput{Value: "known@example.com", Reason: audience.ReasonManual})
	body := "email,reason,expires_at,scope_domain\n" +
		"known@example.com,,,\n" +
		"new@example.com,hard_bounce,,\n" +
		"new@example.com,hard_bounce,,\n" +
		"@spam.example,manual,2030-01-01,\n" +
		"u@example.com,unsubscribe,,news.example.com\n" +
		"bad,,,\n" +
		",,,\n" +
		"x@example.com,weird,,\n" +
		"y@example.com,,someday,\n"
	rep, err := st.Suppressions.ImportSuppressions(ctx, strings.NewReader(body), "import by test")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 9 || rep.Added != 3 || rep.Existing != 2 || rep.Invalid != 4 {
		t.Errorf("report %+v", rep)
	}
	var got []string
	for _, p := range rep.Problems {
		got = append(got, string(p.Reason))
	}
	if strings.Join(got, ",") != "bad address,empty,bad variables,bad variables" {
		t.Errorf("problems %v", got)
	}
	hit, _ := st.Suppressions.SuppressedAmong(ctx, "news.example.com", []string{"new@example.com", "a@spam.example", "u@example.com"})
	if len(hit) != 3 || hit["a@spam.example"].ExpiresAt == nil || hit["a@spam.example"].Source != "import by test" {
		t.Errorf("imported entries %v", hit)
	}
	if _, err := st.Suppressions.ImportSuppressions(ctx, strings.NewReader("address\nx@example.com\n"), ""); fixtures.FieldErrors(t, err)["file"] == "" {
		t.Error("file without an email column accepted")
	}
}
