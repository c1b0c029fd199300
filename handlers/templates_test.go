package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/models/accounts"
)

func TestTemplateEditorFlow(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")

	wantStatus(t, b.get("/templates"), http.StatusOK, "No templates yet")
	wantStatus(t, b.get("/templates/new"), http.StatusOK, `name="sample_data"`, `sandbox=""`, `formtarget="template-preview"`)

	// Errors come back on the form, with line and column, and nothing is saved.
	p := b.post("/templates/new", "/templates", url.Values{"name": {"Welcome"}, "subject": {"Hi"}, "html": {"<p>\n  {{ name</p>"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, "Syntax error at line 2, column 3: this {{ is never closed with }}.", `value="Welcome"`)
	if page, _ := c.Store.Templates.ListTemplates(ctx, 0, 10); page.Total != 0 {
		t.Fatal("an invalid template was saved")
	}

	form := url.Values{"name": {"Welcome"}, "subject": {"Hi {{name}}"}, "html": {`<p style="color:#0f766e">Hello {{ name }}</p><img src="http://x.example/a.png">`},
		"sample_data": {`{"name": "<b>Ann</b>"}`}}
	p = b.post("/templates/new", "/templates", form)
	wantStatus(t, p, http.StatusSeeOther)
	loc := p.Header.Get("Location")
	id, err := strconv.ParseUint(strings.TrimPrefix(loc, "/templates/"), 10, 64)
	if err != nil {
		t.Fatalf("redirected to %s", loc)
	}
	edit := b.get(loc)
	wantStatus(t, edit, http.StatusOK, "Template Welcome saved.", `<code class="var">name</code>`, "Approved",
		"Sesame adds an unsubscribe link at the foot of each message.", "1 image(s) have no alt text", "http://x.example/a.png", `src="/templates/`+strconv.FormatUint(id, 10)+`/preview"`)

	// The check panel follows the form as typed (htmx).
	check := b.postRaw("/templates/check", withCSRF(b, loc, url.Values{"subject": {"Re {{ order }}"}, "html": {"{{order}} {{who"}, "sample_data": {`{"order": "7"}`}}).Encode(), hxHeaders())
	wantStatus(t, check, http.StatusOK, `id="template-check"`, "HTML: Syntax error at line 1, column 11")
	if strings.Contains(check.Body, "<html") {
		t.Error("the check panel came as a whole page")
	}
	check = b.postRaw("/templates/check", withCSRF(b, loc, url.Values{"subject": {"Re {{ order }}"}, "text": {"Order {{order}} for {{who}}"}, "sample_data": {`{"order": "7"}`}}).Encode(), hxHeaders())
	wantStatus(t, check, http.StatusOK, `<p data-testid="check-subject">Re 7</p>`, "Order 7 for </pre>", "Not in the sample data (shown empty): who")
	// {{unsubscribe_url}} is Sesame's to fill in: never missing from the
	// sample data, a stand-in link in the preview.
	check = b.postRaw("/templates/check", withCSRF(b, loc, url.Values{"subject": {"Hi"}, "text": {"Leave: {{unsubscribe_url}}"}}).Encode(), hxHeaders())
	wantStatus(t, check, http.StatusOK, "Leave: #unsubscribe</pre>")
	if strings.Contains(check.Body, "Not in the sample data") {
		t.Error("unsubscribe_url is reported missing from the sample data")
	}

	// Previews are documents of their own, under a sandboxing policy, with
	// sample values escaped.
	for _, pv := range []page{
		b.get(loc + "/preview"),
		b.postRaw("/templates/preview", withCSRF(b, loc, form).Encode(), nil),
	} {
		wantStatus(t, pv, http.StatusOK, `<p style="color:#0f766e">Hello &lt;b&gt;Ann&lt;/b&gt;</p>`)
		csp := pv.Header.Get("Content-Security-Policy")
		if !strings.HasPrefix(csp, "sandbox;") || !strings.Contains(csp, "style-src 'unsafe-inline'") || strings.Contains(csp, "script-src") {
			t.Errorf("preview CSP %q", csp)
		}
		if pv.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("preview X-Frame-Options %q", pv.Header.Get("X-Frame-Options"))
		}
	}
	textOnly := b.postRaw("/templates/preview", withCSRF(b, loc, url.Values{"text": {"Hi <{{name}}>"}, "sample_data": {`{"name":"Bo"}`}}).Encode(), nil)
	wantStatus(t, textOnly, http.StatusOK, "Hi &lt;Bo&gt;</pre>")
	bad := b.postRaw("/templates/preview", withCSRF(b, loc, url.Values{"html": {"x"}, "sample_data": {"nope"}}).Encode(), nil)
	wantStatus(t, bad, http.StatusUnprocessableEntity, "The sample data is not a JSON object")

	// Edit, duplicate, delete.
	form.Set("name", "Welcome v2")
	wantStatus(t, b.post(loc, loc, form), http.StatusSeeOther)
	p = b.post(loc, loc+"/duplicate", nil)
	wantStatus(t, p, http.StatusSeeOther)
	wantStatus(t, b.get("/templates"), http.StatusOK, "Welcome v2 (copy)", "Copied as Welcome v2 (copy).")
	wantStatus(t, b.post(loc, loc+"/delete", nil), http.StatusSeeOther)
	wantStatus(t, b.get(loc), http.StatusNotFound)
	wantStatus(t, b.get("/templates/abc"), http.StatusNotFound)
}

func TestTemplateReview(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	c.user("ann@example.com", accounts.RoleMarketer)
	admin, ann := c.browser(), c.browser()
	admin.login("boss@example.com")
	ann.login("ann@example.com")

	if strings.Contains(ann.get("/templates").Body, "review-toggle") {
		t.Error("a marketer sees the review switch")
	}
	wantStatus(t, admin.post("/templates", "/templates/review", url.Values{"review": {"on"}}), http.StatusSeeOther)
	wantStatus(t, admin.get("/templates"), http.StatusOK, "Template review is on", "Turn review off")

	p := ann.post("/templates/new", "/templates", url.Values{"name": {"Promo"}, "text": {"Sale"}})
	wantStatus(t, p, http.StatusSeeOther)
	loc := p.Header.Get("Location")
	wantStatus(t, ann.get(loc), http.StatusOK, "It waits for an admin&#39;s review", "Waiting for review")
	if strings.Contains(ann.get(loc).Body, "template-approve") {
		t.Error("a marketer is offered approval")
	}
	wantStatus(t, ann.post(loc, loc+"/review", url.Values{"decision": {"approve"}}), http.StatusForbidden)

	wantStatus(t, admin.post(loc, loc+"/review", url.Values{"decision": {"reject"}}), http.StatusUnprocessableEntity, "Say why the template is rejected")
	wantStatus(t, admin.post(loc, loc+"/review", url.Values{"decision": {"reject"}, "reason": {"Needs an unsubscribe link"}}), http.StatusSeeOther)
	wantStatus(t, ann.get(loc), http.StatusOK, "Rejected: Needs an unsubscribe link")
	wantStatus(t, admin.post(loc, loc+"/review", url.Values{"decision": {"approve"}}), http.StatusSeeOther)
	id, _ := strconv.ParseUint(strings.TrimPrefix(loc, "/templates/"), 10, 64)
	if _, err := c.Store.Templates.UsableTemplate(ctx, id); err != nil {
		t.Errorf("approved template unusable: %v", err)
	}
}

func hxHeaders() http.Header { return http.Header{"Hx-Request": {"true"}} }

// withCSRF adds the token of the page at from to a form.
func withCSRF(b *browser, from string, form url.Values) url.Values {
	form = cloneValues(form)
	form.Set("_csrf", b.csrf(from))
	return form
}
