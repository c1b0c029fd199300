package handlers_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
)

// upload posts a file as the console's htmx upload form does: multipart,
// with the CSRF token in a header.
func (b *browser) upload(from, path, filename, content string) page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write([]byte(content))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.c.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", b.csrf(from))
	req.Header.Set("HX-Request", "true")
	return b.do(req)
}

// startImporter runs the background importer for the test's lifetime.
func (c *console) startImporter() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- audience.NewImporter(c.Store.Audience, nil).Run(ctx) }()
	c.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			c.t.Errorf("importer: %v", err)
		}
	})
}

// waitForImport polls as the page does until the job has finished.
func (b *browser) waitForImport(path string) page {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, b.c.URL+path, nil)
		req.Header.Set("HX-Request", "true")
		p := b.do(req)
		if p.Status != http.StatusOK {
			b.t.Fatalf("poll %s: %d", path, p.Status)
		}
		if strings.Contains(p.Body, `data-testid="import-report"`) {
			if p.Header.Get("HX-Refresh") != "true" {
				b.t.Error("a finished import does not refresh the page")
			}
			return p
		}
		if !strings.Contains(p.Body, "<progress") {
			b.t.Fatalf("poll without a progress bar:\n%s", p.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatal("the import did not finish")
	return page{}
}

func TestGroupImportFlow(t *testing.T) {
	c := newConsole(t)
	c.startImporter()
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")

	wantStatus(t, b.post("/groups", "/groups", url.Values{"name": {""}}), http.StatusUnprocessableEntity, "Enter a name.")
	p := b.post("/groups", "/groups", url.Values{"name": {"Newsletter"}, "description": {"Monthly"}})
	wantStatus(t, p, http.StatusSeeOther)
	g := p.Header.Get("Location")
	wantStatus(t, b.get(g), http.StatusOK, "Group Newsletter created.", "No recipients yet", `data-max-bytes="209715200"`)

	// A file without an email column is refused on the spot.
	wantStatus(t, b.upload(g, g+"/imports", "x.csv", "name,city\nAnn,Oslo\n"), http.StatusUnprocessableEntity, "The header row has no email column.")

	csv := "email,first_name,note\n" +
		"ann@example.com,Ann,\"=HYPERLINK(\"\"http://evil\"\")\"\n" +
		"bob@example.com,Bob,\n" +
		"bob@example.com,Bobby,\n" +
		"-oops@,X,\n" +
		"cy@example.com,Cy,+1\n"
	p = b.upload(g, g+"/imports", "people.csv", csv)
	wantStatus(t, p, http.StatusOK)
	if p.Header.Get("HX-Redirect") != g {
		t.Fatalf("upload answered %v", p.Header)
	}
	groupID, _ := strconv.ParseUint(strings.TrimPrefix(g, "/groups/"), 10, 64)
	jobs, err := c.Store.Audience.ListImportJobs(ctx, groupID, 1)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs %v %v", jobs, err)
	}
	jobPath := g + "/imports/" + itoa(jobs[0].ID)
	if page := b.get(g); !strings.Contains(page.Body, "import-progress") && !strings.Contains(page.Body, "import-report") {
		t.Errorf("the group page shows no import:\n%s", page.Body)
	}
	report := b.waitForImport(jobPath)
	wantStatus(t, report, http.StatusOK, `data-testid="report-imported">3<`, `data-testid="report-duplicates">1<`, `data-testid="report-invalid">1<`, "-oops@", "bad address",
		"duplicate of line 3")

	full := b.get(g)
	wantStatus(t, full, http.StatusOK, "3 recipients", "ann@example.com", "bob@example.com", `data-testid="report-download"`)
	// Reports and exports defuse spreadsheet formulas.
	wantStatus(t, b.get(jobPath+"/invalid.csv"), http.StatusOK, "line,email,reason\n4,bob@example.com,duplicate of line 3: this line's values are kept\n5,'-oops@,bad address\n")
	export := b.get(g + "/export.csv")
	wantStatus(t, export, http.StatusOK, "email,first_name,note\n", `ann@example.com,Ann,"'=HYPERLINK(""http://evil"")"`, "bob@example.com,Bobby,\n", "cy@example.com,Cy,'+1\n")
	if cd := export.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("export is not a download: %q", cd)
	}

	// Recipients show their standing on the suppression list.
	if _, _, err := c.Store.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "bob@example.com", Reason: audience.ReasonUnsubscribe, ScopeDomain: "shop.example"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Store.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: "example.com", Reason: audience.ReasonHardBounce}); err != nil {
		t.Fatal(err)
	}
	shown := b.get(g)
	if !strings.Contains(between(shown.Body, `data-testid="recipient-bob@example.com"`, "</tr>"), "bounced") {
		t.Error("bob should show the domain-wide bounce, which outranks his scoped unsubscribe")
	}
	wantStatus(t, b.get(g+"?q=CY"), http.StatusOK, "cy@example.com")
	if strings.Contains(b.get(g+"?q=cy").Body, `data-testid="recipient-ann@example.com"`) {
		t.Error("search shows addresses that do not match")
	}
}

func TestGroupRecipientsByHand(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	p := b.post("/groups", "/groups", url.Values{"name": {"VIP"}})
	g := p.Header.Get("Location")

	wantStatus(t, b.post(g, g+"/recipients", url.Values{"email": {"nope"}}), http.StatusUnprocessableEntity, "This is not a valid email address.", `value="nope"`)
	wantStatus(t, b.post(g, g+"/recipients", url.Values{"email": {"a@example.com"}, "variables": {"[1]"}}), http.StatusUnprocessableEntity, "Variables are not a JSON object")
	wantStatus(t, b.post(g, g+"/recipients", url.Values{"email": {"A@Example.com"}, "variables": {`{"first_name":"Al"}`}}), http.StatusSeeOther)
	wantStatus(t, b.get(g), http.StatusOK, "Recipient added.", "a@example.com", "first_name")
	wantStatus(t, b.post(g, g+"/paste", url.Values{"addresses": {"b@example.com, c@example.com\nbad\n"}}), http.StatusUnprocessableEntity, "2 added, 0 updated, 0 unchanged, 1 refused.", "bad: bad address")
	wantStatus(t, b.post(g, g+"/paste", url.Values{"addresses": {"d@example.com"}}), http.StatusSeeOther)
	wantStatus(t, b.post(g, g+"/recipients/delete", url.Values{"email": {"b@example.com"}}), http.StatusSeeOther)
	wantStatus(t, b.post(g, g+"/recipients/delete", url.Values{"email": {"b@example.com"}}), http.StatusNotFound)
	wantStatus(t, b.post(g, g, url.Values{"name": {"VIP customers"}}), http.StatusSeeOther)
	wantStatus(t, b.get("/groups?q=vip"), http.StatusOK, "VIP customers", ">3<")
	wantStatus(t, b.post(g, g+"/delete", nil), http.StatusSeeOther)
	wantStatus(t, b.get(g), http.StatusNotFound)
}

func TestUploadLimits(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	g := b.post("/groups", "/groups", url.Values{"name": {"G"}}).Header.Get("Location")

	req, _ := http.NewRequest(http.MethodPost, c.URL+g+"/imports", io.LimitReader(zeros{}, 201<<20))
	req.ContentLength = 201 << 20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("X-CSRF-Token", b.csrf(g))
	wantStatus(t, b.do(req), http.StatusRequestEntityTooLarge, "larger than the 200 MB this page accepts")

	// Without a file, or without the token, nothing happens.
	wantStatus(t, b.upload(g, g+"/imports", "", ""), http.StatusUnprocessableEntity, "Choose a CSV file to upload.")
	req, _ = http.NewRequest(http.MethodPost, c.URL+g+"/imports", strings.NewReader("--x--\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	wantStatus(t, b.do(req), http.StatusForbidden)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}
