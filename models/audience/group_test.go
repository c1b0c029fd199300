package audience_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/store"
)

func mustGroup(t *testing.T, st *store.Store, name string) *audience.RecipientGroup {
	t.Helper()
	g, err := st.Audience.CreateGroup(ctx, audience.GroupInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNormalizeRecipientEmail(t *testing.T) {
	for raw, want := range map[string]string{
		" Ann.Lee@Example.COM ": "ann.lee@example.com",
		"bob@bücher.de":         "bob@xn--bcher-kva.de",
	} {
		if got, p := audience.NormalizeRecipientEmail(raw); got != want || p != audience.ProblemNone {
			t.Errorf("%q: %q %q", raw, got, p)
		}
	}
	for raw, want := range map[string]audience.RowProblem{
		"":                      audience.ProblemEmpty,
		"   ":                   audience.ProblemEmpty,
		"ann":                   audience.ProblemBadAddress,
		"ann@localhost":         audience.ProblemBadAddress,
		"Ann <ann@example.com>": audience.ProblemBadAddress,
		"ann@exa mple.com":      audience.ProblemBadAddress,
		strings.Repeat("a", 250) + "@example.com": audience.ProblemTooLong,
	} {
		if _, p := audience.NormalizeRecipientEmail(raw); p != want {
			t.Errorf("%q: %q, want %q", raw, p, want)
		}
	}
}

func TestGroupsAndRecipients(t *testing.T) {
	st, _ := fixtures.Store(t)
	if _, err := st.Audience.CreateGroup(ctx, audience.GroupInput{Name: ""}); fixtures.FieldErrors(t, err)["name"] != "Enter a name." {
		t.Error("empty name accepted")
	}
	g := fixtures.Group(t, st, "Customers", 0)
	if _, err := st.Audience.CreateGroup(ctx, audience.GroupInput{Name: "Customers"}); fixtures.FieldErrors(t, err)["name"] == "" {
		t.Error("duplicate name accepted")
	}
	if g.Status() != audience.GroupWaitingForUpload {
		t.Errorf("new group status %d", g.Status())
	}

	rep, err := st.Audience.AddRecipients(ctx, g.ID, []audience.RecipientInput{
		{Email: "Ann@Example.com", Variables: map[string]string{"name": "Ann"}},
		{Email: "bob@example.com"},
		{Email: "ann@example.com", Variables: map[string]string{"name": "Anna", "city": "Oslo"}},
		{Email: ""},
		{Email: "nope"},
		{Email: strings.Repeat("x", 300)},
		{Email: "eve@example.com", Variables: map[string]string{"bad name": "x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := audience.AddReport{Total: 7, Valid: 3, Inserted: 2, Duplicates: 1, Empty: 1, TooLong: 1, Invalid: 2}
	if rep.Total != want.Total || rep.Valid != want.Valid || rep.Inserted != want.Inserted || rep.Updated != 0 || rep.Unchanged != 0 ||
		rep.Duplicates != want.Duplicates || rep.Empty != want.Empty || rep.TooLong != want.TooLong || rep.Invalid != want.Invalid {
		t.Errorf("report %+v", rep)
	}
	if len(rep.Problems) != 4 || rep.Problems[0].Line != 4 || rep.Problems[3].Reason != audience.ProblemBadData {
		t.Errorf("problems %+v", rep.Problems)
	}
	r, err := st.Audience.GetRecipient(ctx, g.ID, "ANN@example.com")
	if err != nil || r.Vars()["name"] != "Anna" || r.Vars()["city"] != "Oslo" {
		t.Errorf("the later row should win: %+v %v", r, err)
	}

	// Again: one changed, one unchanged, one new.
	rep, err = st.Audience.AddRecipients(ctx, g.ID, []audience.RecipientInput{
		{Email: "ann@example.com", Variables: map[string]string{"name": "Anna", "city": "Oslo"}},
		{Email: "bob@example.com", Variables: map[string]string{"name": "Bob"}},
		{Email: "cy@example.com"},
	})
	if err != nil || rep.Inserted != 1 || rep.Updated != 1 || rep.Unchanged != 1 {
		t.Errorf("second add: %+v %v", rep, err)
	}
	g, _ = st.Audience.GetGroup(ctx, g.ID)
	if g.RecipientCount != 3 || strings.Join(g.Variables(), ",") != "name,city" || g.Status() != audience.GroupUploaded {
		t.Errorf("group after adds: %+v %v", g, g.Variables())
	}
	if _, err := st.Audience.AddRecipients(ctx, 9999, []audience.RecipientInput{{Email: "a@example.com"}}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("add to a missing group: %v", err)
	}

	if err := st.Audience.DeleteRecipient(ctx, g.ID, "BOB@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := st.Audience.DeleteRecipient(ctx, g.ID, "bob@example.com"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	g, _ = st.Audience.GetGroup(ctx, g.ID)
	if g.RecipientCount != 2 {
		t.Errorf("count after delete %d", g.RecipientCount)
	}

	g2, err := st.Audience.UpdateGroup(ctx, g.ID, audience.GroupInput{Name: "Clients", Description: "From the shop"})
	if err != nil || g2.Name != "Clients" || g2.Description != "From the shop" {
		t.Errorf("rename: %+v %v", g2, err)
	}
	fixtures.Group(t, st, "Prospects", 0)
	groups, total, err := st.Audience.ListGroups(ctx, audience.GroupFilter{Keyword: "CLI"})
	if err != nil || total != 1 || groups[0].Name != "Clients" {
		t.Errorf("search groups: %v %d %v", groups, total, err)
	}
	if err := st.Audience.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Audience.GetRecipient(ctx, g.ID, "ann@example.com"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("recipients outlived their group: %v", err)
	}
	if _, err := st.Audience.AddRecipients(ctx, g.ID, []audience.RecipientInput{{Email: "late@example.com"}}); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("added to a deleted group: %v", err)
	}
	if _, err := st.Audience.GetRecipient(ctx, g.ID, "late@example.com"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a recipient was written for a deleted group: %v", err)
	}
}

func TestRecipientPagesAndSearch(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "Many", 0)
	var in []audience.RecipientInput
	for i := range 250 {
		in = append(in, audience.RecipientInput{Email: fmt.Sprintf("user%03d@example.com", i)})
	}
	in = append(in, audience.RecipientInput{Email: "zed@example.org"})
	if _, err := st.Audience.AddRecipients(ctx, g.ID, in); err != nil {
		t.Fatal(err)
	}
	var all []string
	after := ""
	pages := 0
	for {
		page, err := st.Audience.ListRecipients(ctx, g.ID, audience.RecipientQuery{After: after, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Recipients {
			all = append(all, r.Email)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if pages != 3 || len(all) != 251 || all[0] != "user000@example.com" || all[250] != "zed@example.org" {
		t.Errorf("%d pages, %d rows, first %s", pages, len(all), all[0])
	}
	page, err := st.Audience.ListRecipients(ctx, g.ID, audience.RecipientQuery{Prefix: "USER12", Limit: 50})
	if err != nil || len(page.Recipients) != 10 || page.Recipients[0].Email != "user120@example.com" || page.Next != "" {
		t.Errorf("prefix search: %d %v", len(page.Recipients), err)
	}
	byID, err := st.Audience.RecipientsAfterID(ctx, g.ID, 0, 5)
	if err != nil || len(byID) != 5 || byID[0].ID >= byID[4].ID {
		t.Errorf("by id: %v", err)
	}
	n := 0
	if err := st.Audience.EachRecipient(ctx, g.ID, func(*audience.Recipient) error { n++; return nil }); err != nil || n != 251 {
		t.Errorf("each: %d %v", n, err)
	}
}

func TestParseRecipientList(t *testing.T) {
	got := audience.ParseRecipientList("a@x.com, b@x.com\r\nc@x.com;d@x.com\t e@x.com\n\n")
	if len(got) != 5 || got[4].Email != "e@x.com" {
		t.Errorf("%v", got)
	}
}
