package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/accounts"
)

// The address unsubscribe setting the API manages has its place on the
// sender addresses page.
func TestSenderUnsubscribeSetting(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	a := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "News")
	b := c.browser()
	b.login("ann@example.com")
	wantStatus(t, b.get("/senders"), http.StatusOK, "Each send chooses", `data-testid="sender-unsubscribe-form"`)

	path := "/senders/" + itoa(a.ID) + "/unsubscribe"
	wantStatus(t, b.post("/senders", path, url.Values{"unsubscribe_config": {"6"}, "unsubscribe_enabled": {"1"}}), http.StatusSeeOther)
	got, err := c.Store.Senders.GetSender(ctx, a.ID)
	if err != nil || got.UnsubscribeConfig != "6" || !got.UnsubscribeEnabled || got.DefaultUnsubscribe() != "6" {
		t.Fatalf("after saving German, on: %+v %v", got, err)
	}
	wantStatus(t, b.get("/senders"), http.StatusOK, "Unsubscribe link of news@example.test saved.", "German")

	wantStatus(t, b.post("/senders", path, url.Values{"unsubscribe_config": {"6"}}), http.StatusSeeOther)
	if got, _ = c.Store.Senders.GetSender(ctx, a.ID); got.UnsubscribeEnabled || got.DefaultUnsubscribe() != "" {
		t.Errorf("after switching off: %+v", got)
	}
	wantStatus(t, b.get("/senders"), http.StatusOK, "German, off")

	wantStatus(t, b.post("/senders", path, url.Values{"unsubscribe_config": {"99"}}), http.StatusSeeOther)
	wantStatus(t, b.get("/senders"), http.StatusOK, "Choose a language for the unsubscribe link")
	wantStatus(t, b.post("/senders", path, url.Values{"unsubscribe_config": {""}}), http.StatusSeeOther)
	if got, _ = c.Store.Senders.GetSender(ctx, a.ID); got.HasUnsubscribeConfig() {
		t.Errorf("after removing: %+v", got)
	}
}
