package webhooks_test

import (
	"context"
	"testing"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/webhooks"
)

// TestEndpointInputIsChecked: each bad field is refused with a message on
// that field; Tencent's eventids follow its table.
func TestEndpointInputIsChecked(t *testing.T) {
	st, _ := fixtures.Store(t)
	ctx := context.Background()
	for field, in := range map[string]webhooks.EndpointInput{
		"url":          {URL: "ftp://example.com/x"},
		"events":       {URL: "https://example.com", Events: "delivered,processed"},
		"sender":       {URL: "https://example.com", SenderEmail: "nobody@example.com"},
		"secret":       {URL: "https://example.com", Secret: "short"},
		"custom_value": {URL: "https://example.com", CustomValue: "a\r\nX-Injected: 1"},
	} {
		_, _, err := st.Webhooks.CreateEndpoint(ctx, in)
		if got := fixtures.FieldErrors(t, err); got[field] == "" {
			t.Errorf("%s: errors %v", field, got)
		}
	}
	if _, _, err := st.Webhooks.CreateEndpoint(ctx, webhooks.EndpointInput{URL: "https://user:pw@example.com"}); fixtures.FieldErrors(t, err)["url"] == "" {
		t.Error("credentials in the URL accepted")
	}
	for e, id := range map[webhooks.Event]int{"delivered": 1, "dropped": 2, "bounce": 3, "open": 4, "click": 5, "spamreport": 6, "unsubscribe": 7, "deferred": 8} {
		if e.ID() != id {
			t.Errorf("%s: eventid %d, want %d", e, e.ID(), id)
		}
	}
	ep, secret, err := st.Webhooks.CreateEndpoint(ctx, webhooks.EndpointInput{URL: "https://example.com/hook", Events: "Click, open"})
	if err != nil || ep.EventList != "open,click" || len(secret) < 40 {
		t.Fatalf("created %+v, secret %q: %v", ep, secret, err)
	}
}
