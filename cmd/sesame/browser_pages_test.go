package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/webhooks"
)

// longAddress is 55 characters: long values must wrap, not widen a page.
const longAddress = "customer.relations.department.north@mail.dest-exam.test"

// The viewports every page must fit.
var viewports = []struct {
	name          string
	width, height int64
	options       []chromedp.EmulateViewportOption
}{{"desktop", 1366, 768, nil}, {"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateScale(2)}}}

// interactiveRoles are the accessibility roles a user operates, which
// must each have an accessible name.
var interactiveRoles = map[string]bool{"link": true, "button": true, "textbox": true, "searchbox": true, "combobox": true,
	"checkbox": true, "radio": true, "listbox": true, "slider": true, "spinbutton": true, "switch": true, "menuitem": true, "tab": true}

// Every console page, as an admin and as a marketer, at a desktop's and a
// phone's size: the document is no wider than the viewport, the page logs
// no console error, and every control has an accessible name. The pages
// are the router's GET routes, so a page added later is visited too (or
// the test asks for its parameters).
func TestBrowserEveryPageFitsAndIsLabelled(t *testing.T) {
	if testing.Short() {
		t.Skip("visits every page in Chromium")
	}
	a := startApp(t)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	pages := seedEveryPage(t, a)

	for _, who := range []struct{ role, email, password string }{
		{"admin", "boss@example.com", "admin password 1"},
		{"marketer", "ann@example.com", "marketer pass 1"},
	} {
		t.Run(who.role, func(t *testing.T) {
			ctx := browsertest.NewWithin(t, 10*time.Minute)
			var mu sync.Mutex
			var logged []string
			var visiting string // the URL being visited
			chromedp.ListenTarget(ctx, func(ev any) {
				mu.Lock()
				defer mu.Unlock()
				switch ev := ev.(type) {
				case *runtime.EventConsoleAPICalled:
					if ev.Type == runtime.APITypeError {
						var args []string
						for _, a := range ev.Args {
							args = append(args, string(a.Value)+a.Description)
						}
						logged = append(logged, "console.error: "+strings.Join(args, " "))
					}
				case *runtime.EventExceptionThrown:
					logged = append(logged, "exception: "+ev.ExceptionDetails.Error())
				case *cdplog.EventEntryAdded:
					// A page answered 403 or 404 on purpose logs its own
					// status; anything else it fails to load is an error.
					if ev.Entry.Level == cdplog.LevelError && !(ev.Entry.Source == cdplog.SourceNetwork && ev.Entry.URL == visiting) {
						logged = append(logged, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
					}
				}
			})
			if err := chromedp.Run(ctx, cdplog.Enable(), runtime.Enable(), signIn(ctx, a.URL, who.email, who.password)); err != nil {
				t.Fatal(err)
			}
			for _, pg := range pages {
				p := pg.path
				for _, vp := range viewports {
					mu.Lock()
					logged, visiting = nil, a.URL+p
					mu.Unlock()
					if err := chromedp.Run(ctx,
						chromedp.EmulateViewport(vp.width, vp.height, vp.options...),
						chromedp.Navigate(a.URL+p),
						chromedp.WaitReady("body", chromedp.ByQuery),
					); err != nil {
						t.Fatalf("%s at %s: %v", p, vp.name, err)
					}
					where := fmt.Sprintf("%s as %s at %s", p, who.role, vp.name)
					var width int64
					if err := chromedp.Run(ctx, chromedp.Evaluate(`Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)`, &width)); err != nil {
						t.Fatal(err)
					}
					if width > vp.width {
						t.Errorf("%s: the document is %d px wide: %s", where, width, widest(t, ctx, vp.width))
					}
					for _, e := range unnamedControls(t, ctx) {
						t.Errorf("%s: %s has no accessible name", where, e)
					}
					time.Sleep(50 * time.Millisecond) // let late console messages arrive
					mu.Lock()
					for _, l := range logged {
						t.Errorf("%s: %s", where, l)
					}
					mu.Unlock()
					browsertest.Screenshot(t, ctx, "page-"+who.role+"-"+pg.name+"-"+vp.name)
				}
			}
		})
	}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(path string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(path), "-"), "-")
	if s == "" {
		return "dashboard"
	}
	return s
}

// widest names the elements that reach past the viewport, deepest first,
// so a failure says what to fix.
func widest(t *testing.T, ctx context.Context, width int64) string {
	var out []string
	js := `(() => { const w = ` + strconv.FormatInt(width, 10) + `; const out = [];
		for (const el of document.querySelectorAll('body *')) {
			const r = el.getBoundingClientRect();
			if (r.right > w + 1 && !el.closest('.table-wrap, pre') && ![...el.children].some(c => c.getBoundingClientRect().right > w + 1)) {
				out.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' (' + Math.round(r.right) + ' px): ' + (el.textContent || '').trim().slice(0, 40));
			}
		}
		return out.slice(0, 5); })()`
	if err := chromedp.Run(ctx, chromedp.Evaluate(js, &out)); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "; ")
}

// unnamedControls lists the page's controls without an accessible name,
// as Chromium's accessibility tree computes it.
func unnamedControls(t *testing.T, ctx context.Context) []string {
	var out []string
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		// Decoded into types of its own: cdproto's enums lag behind the
		// reasons Chromium gives for ignoring a node.
		var tree struct {
			Nodes []struct {
				Ignored bool              `json:"ignored"`
				Role    *axValue          `json:"role"`
				Name    *axValue          `json:"name"`
				Backend cdp.BackendNodeID `json:"backendDOMNodeId"`
			} `json:"nodes"`
		}
		if err := cdp.Execute(ctx, accessibility.CommandGetFullAXTree, accessibility.GetFullAXTree(), &tree); err != nil {
			return err
		}
		for _, n := range tree.Nodes {
			role, _ := n.Role.text()
			if n.Ignored || !interactiveRoles[role] {
				continue
			}
			if name, _ := n.Name.text(); strings.TrimSpace(name) != "" {
				continue
			}
			html, err := dom.GetOuterHTML().WithBackendNodeID(n.Backend).Do(ctx)
			if err != nil {
				html = "?"
			}
			if len(html) > 160 {
				html = html[:160] + "…"
			}
			out = append(out, fmt.Sprintf("a %s (%s)", role, html))
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// axValue is a value of Chromium's accessibility tree.
type axValue struct {
	Value any `json:"value"`
}

func (v *axValue) text() (string, bool) {
	if v == nil {
		return "", false
	}
	s, ok := v.Value.(string)
	return s, ok
}

// page is a page to visit, and the name of its screenshots: its route's,
// so they are the same from run to run.
type page struct{ path, name string }

// seedEveryPage stores something for every page to show, long values
// included, and returns every page, parameters filled in.
func seedEveryPage(t *testing.T, a *testApp) []page {
	t.Helper()
	ctx := context.Background()
	st := a.store
	sender := fixtures.Sender(t, st, a.DNS, "news@example.com", "Example News")
	recipients := []string{"ann@dest.test", "bob@dest.test", longAddress}
	task := fixtures.QueueCampaign(t, st, sender, "Big send", recipients)
	var kept []queue.SandboxMessage
	waitFor(t, 60*time.Second, func() bool {
		kept, _ = st.Sandbox.SandboxPage(ctx, 0, 10)
		return len(kept) == len(recipients)
	})
	var long queue.SandboxMessage
	for _, m := range kept {
		if m.Recipient == longAddress {
			long = m
		}
	}
	msg, err := st.Queue.GetMessage(ctx, *long.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	tpl := fixtures.Template(t, st, "Welcome")
	groups, _, err := st.Audience.ListGroups(ctx, audience.GroupFilter{Limit: 10})
	if err != nil || len(groups) == 0 {
		t.Fatalf("groups %v: %v", groups, err)
	}
	job, err := st.Audience.CreateImportJob(ctx, groups[0].ID, "customers.csv", strings.NewReader("Email;Name;Plan\nnew@dest.test;New;Pro\nnot-an-address;X;Y\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Suppressions.AddSuppression(ctx, audience.SuppressionInput{Value: longAddress, Reason: audience.ReasonHardBounce, Source: "test"}); err != nil {
		t.Fatal(err)
	}
	boss, err := st.Accounts.GetUserByEmail(ctx, "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Accounts.CreateAPIKey(ctx, boss.ID, "billing service"); err != nil {
		t.Fatal(err)
	}
	ip, err := st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated})
	if err != nil {
		t.Fatal(err)
	}
	hook, _, err := st.Webhooks.CreateEndpoint(ctx, webhooks.EndpointInput{URL: "https://hooks.example.org/sesame", Events: "delivered,bounce"})
	if err != nil {
		t.Fatal(err)
	}
	id := func(n uint64) string { return strconv.FormatUint(n, 10) }
	params := map[string]string{
		"/admin/users/:id":            "/admin/users/" + id(boss.ID),
		"/admin/ips/:id":              "/admin/ips/" + id(ip.ID),
		"/admin/ips/warmup/:kind/:id": "/admin/ips/warmup/domain/" + id(sender.DomainID),
		"/domains/:name":              "/domains/example.com",
		"/templates/:id":              "/templates/" + id(tpl.ID),
		"/groups/:id":                 "/groups/" + id(groups[0].ID),
		"/groups/:id/imports/:job":    "/groups/" + id(groups[0].ID) + "/imports/" + id(job.ID),
		"/tasks/:id":                  "/tasks/" + id(task.ID),
		"/tasks/:id/report":           "/tasks/" + id(task.ID) + "/report",
		"/sandbox/:id":                "/sandbox/" + id(long.ID),
		"/messages/:uid":              "/messages/" + msg.UID,
		"/u/:token":                   strings.TrimPrefix(a.links.UnsubscribeURL(msg.UID), a.URL),
		"/webhooks/:id":               "/webhooks/" + id(hook.ID),
	}
	// Routes that are not pages: files, fragments, frames, redirects and
	// Amazon's REST API.
	notPages := regexp.MustCompile(`^/v2/|\.csv$|/raw$|/html$|/live$|/summary$|/preview$|^/t/|^/static/|^/healthz$|^/readyz$|^/metrics$|/imports/:job$`)
	var pages []page
	for _, r := range a.web.Echo.Routes() {
		if r.Method != http.MethodGet || notPages.MatchString(r.Path) {
			continue
		}
		p := r.Path
		if strings.Contains(p, ":") {
			if p = params[r.Path]; p == "" {
				t.Errorf("the page %s needs parameters: add them to seedEveryPage", r.Path)
				continue
			}
		}
		pages = append(pages, page{p, slug(r.Path)})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].path < pages[j].path })
	return append(pages, page{"/messages?q=" + longAddress, "messages-search"}, page{"/no-such-page", "not-found"})
}
