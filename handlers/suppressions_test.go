package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
)

func TestSuppressionPage(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	wantStatus(t, b.get("/suppressions"), http.StatusOK, "Nothing suppressed")

	wantStatus(t, b.post("/suppressions", "/suppressions", url.Values{"value": {"not valid!"}, "reason": {"manual"}}), http.StatusUnprocessableEntity, "Enter an email address, or a domain")
	wantStatus(t, b.post("/suppressions", "/suppressions", url.Values{"value": {"a@example.com"}, "reason": {"manual"}, "expires_at": {"soon"}}), http.StatusUnprocessableEntity, "Enter a date and time")
	wantStatus(t, b.post("/suppressions", "/suppressions", url.Values{"value": {"Ann@Example.com"}, "reason": {"manual"}, "expires_at": {"2030-01-02T10:00"}}), http.StatusSeeOther)
	wantStatus(t, b.post("/suppressions", "/suppressions", url.Values{"value": {"ann@example.com"}, "reason": {"manual"}}), http.StatusSeeOther)
	wantStatus(t, b.get("/suppressions"), http.StatusOK, "ann@example.com was already on the suppression list", "console: ann@example.com", `2030-01-02</span> <span class="nowrap">10:00 UTC`)
	wantStatus(t, b.post("/suppressions", "/suppressions", url.Values{"value": {"spam.example"}, "reason": {"manual"}}), http.StatusSeeOther)

	p := b.upload("/suppressions", "/suppressions/import", "list.csv", "email,reason\n=cmd@example.com,complaint\nz@example.com,unsubscribe\nbad,\n")
	wantStatus(t, p, http.StatusOK, "2 added, 0 already listed, 1 refused.", "Line 4: bad (bad address)")
	p = b.upload("/suppressions", "/suppressions/import", "list.csv", "email\nq@example.com\n")
	if p.Header.Get("HX-Redirect") != "/suppressions" {
		t.Errorf("clean import: %d %v", p.Status, p.Header)
	}
	wantStatus(t, b.upload("/suppressions", "/suppressions/import", "list.csv", "who\nx\n"), http.StatusUnprocessableEntity, "no email column")

	wantStatus(t, b.get("/suppressions?q=SPAM"), http.StatusOK, "spam.example", "All senders")
	if strings.Contains(b.get("/suppressions?reason=unsubscribe").Body, `data-testid="suppression-ann@example.com"`) {
		t.Error("the reason filter lets other reasons through")
	}
	export := b.get("/suppressions/export.csv")
	wantStatus(t, export, http.StatusOK, "email,reason,scope_domain,expires_at,source,created_at\n", "ann@example.com,manual,,2030-01-02T10:00:00Z,console: ann@example.com,", "spam.example,manual", "'=cmd@example.com,complaint")
	if !strings.Contains(export.Body, "z@example.com,unsubscribe") {
		t.Error("imported entry missing from the export")
	}

	list, _, _ := c.Store.Suppressions.ListSuppressions(ctx, audience.SuppressionQuery{Prefix: "ann@"})
	path := "/suppressions/" + itoa(list[0].ID) + "/delete"
	wantStatus(t, b.post("/suppressions", path, nil), http.StatusSeeOther)
	wantStatus(t, b.post("/suppressions", path, nil), http.StatusNotFound)
}
