package handlers

import (
	"net/http"
	"time"

	"github.com/sesame-email/sesame/handlers/recipients"
	"github.com/sesame-email/sesame/handlers/webhooks"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
	"github.com/sesame-email/sesame/models/tasks"
	"github.com/sesame-email/sesame/models/tracking"
	"github.com/sesame-email/sesame/web"
)

// Deps is what the console's handlers are built from: the stores of each
// aggregate, the sending service, and the mailer's helpers.
type Deps struct {
	Accounts     *accounts.Accounts
	Domains      *identity.Domains
	Senders      *identity.Senders
	IPs          *identity.IPs
	Templates    *content.Templates
	Audience     *audience.Audience
	Suppressions *audience.Suppressions
	Queue        *queue.Queue
	Sandbox      *queue.Sandbox
	TaskStore    *tasks.Tasks
	Tracking     *tracking.Tracking
	Sending      *sending.Service

	Webhooks  webhooks.Service
	Retention RetentionInfo
	// RetentionPeriod is SESAME_RETENTION, for the IPs & warm-up page.
	RetentionPeriod time.Duration
	WebhookTester   webhooks.Tester

	Tasks    TaskCreator
	DNS      identity.DNSLookup
	Builder  *outgoing.Builder // rebuilds queued messages for display
	Delivery string            // SESAME_DELIVERY, for the sandbox page
	Links    *outgoing.Links   // checks the tokens of tracking and unsubscribe links
	Tracker  EngagementRecorder
	// Connection is where API and SMTP clients reach Sesame.
	Connection Connection
	// Warn are the bounce and complaint rates at which the dashboard warns;
	// models.DefaultWarnLimits when zero.
	Warn queue.ReputationLimits
}

// Mount registers every console route on srv, each with its access rule.
func Mount(srv *web.Server, d Deps) {
	const (
		get  = http.MethodGet
		post = http.MethodPost
	)
	clock := d.Accounts.Clock()
	tracking := NewTracking(d.Links, d.Tracker, d.Queue, d.Tracking, clock, srv.ClientIP)
	srv.AddDirect("/t/o/:token", tracking.Open)
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		srv.Add(m, "/t/c/:token", tracking.Click, web.Signed)
	}
	srv.Add(get, "/u/:token", tracking.UnsubscribeForm, web.Signed)
	srv.Add(post, "/u/:token", tracking.Unsubscribe, web.Signed)

	auth := NewAuth(d.Accounts, srv)
	srv.Add(get, "/login", auth.Form, web.Public)
	srv.Add(post, "/login", auth.Login, web.Public)
	srv.Add(post, "/logout", auth.Logout, web.Member)

	warn := d.Warn
	if warn == (queue.ReputationLimits{}) {
		warn = queue.DefaultWarnLimits
	}
	srv.Add(get, "/", NewDashboard(d.Tracking, d.Domains, d.TaskStore, warn).Show, web.Member)

	account := NewAccount(d.Accounts)
	srv.Add(get, "/account", account.Show, web.Member)
	srv.Add(post, "/account/password", account.ChangePassword, web.Member)
	srv.Add(post, "/account/timezone", account.SetTimeZone, web.Member)

	users := NewUsers(d.Accounts)
	srv.Add(get, "/admin/users", users.List, web.AdminOnly)
	srv.Add(get, "/admin/users/new", users.New, web.AdminOnly)
	srv.Add(post, "/admin/users", users.Create, web.AdminOnly)
	srv.Add(get, "/admin/users/:id", users.Edit, web.AdminOnly)
	srv.Add(post, "/admin/users/:id", users.Update, web.AdminOnly)
	srv.Add(post, "/admin/users/:id/password", users.ResetPassword, web.AdminOnly)

	domains := NewDomains(d.Domains, d.Senders, d.IPs, d.DNS)
	srv.Add(get, "/domains", domains.List, web.Member)
	srv.Add(get, "/domains/new", domains.New, web.AdminOnly)
	srv.Add(post, "/domains", domains.Create, web.AdminOnly)
	srv.Add(get, "/domains/:name", domains.Show, web.Member)
	srv.Add(post, "/domains/:name/verify", domains.Verify, web.AdminOnly)
	srv.Add(post, "/domains/:name/dkim", domains.AddKey, web.AdminOnly)
	srv.Add(post, "/domains/:name/signing", domains.SetSigning, web.AdminOnly)
	srv.Add(post, "/domains/:name/delete", domains.Delete, web.AdminOnly)

	senders := NewSenders(d.Senders, d.Domains)
	srv.Add(get, "/senders", senders.List, web.Member)
	srv.Add(post, "/senders", senders.Create, web.Member)
	srv.Add(post, "/senders/:id/password", senders.SetPassword, web.Member)
	srv.Add(post, "/senders/:id/unsubscribe", senders.SetUnsubscribe, web.Member)
	srv.Add(post, "/senders/:id/delete", senders.Delete, web.Member)

	ips := NewIPs(d.IPs, d.Queue, d.Domains, d.Retention, d.RetentionPeriod, clock)
	srv.Add(get, "/admin/ips", ips.List, web.AdminOnly)
	srv.Add(post, "/admin/ips", ips.Create, web.AdminOnly)
	srv.Add(get, "/admin/ips/:id", ips.Edit, web.AdminOnly)
	srv.Add(post, "/admin/ips/:id", ips.Update, web.AdminOnly)
	srv.Add(post, "/admin/ips/:id/delete", ips.Delete, web.AdminOnly)
	srv.Add(get, "/admin/ips/warmup/:kind/:id", ips.EditWarmup, web.AdminOnly)
	srv.Add(post, "/admin/ips/warmup/:kind/:id", ips.SetWarmup, web.AdminOnly)
	srv.Add(post, "/admin/ips/plans", ips.CreatePlan, web.AdminOnly)

	templates := NewTemplates(d.Templates, d.Accounts)
	srv.Add(get, "/templates", templates.List, web.Member)
	srv.Add(get, "/templates/new", templates.New, web.Member)
	srv.AddWithBodyLimit(post, "/templates", templates.Create, web.Member, templateBodyLimit)
	srv.AddWithBodyLimit(post, "/templates/check", templates.Check, web.Member, templateBodyLimit)
	srv.AddWithBodyLimit(post, "/templates/preview", templates.Preview, web.Member, templateBodyLimit)
	srv.Add(post, "/templates/review", templates.SetReview, web.AdminOnly)
	srv.Add(get, "/templates/:id", templates.Edit, web.Member)
	srv.AddWithBodyLimit(post, "/templates/:id", templates.Update, web.Member, templateBodyLimit)
	srv.Add(get, "/templates/:id/preview", templates.ShowPreview, web.Member)
	srv.Add(post, "/templates/:id/duplicate", templates.Duplicate, web.Member)
	srv.Add(post, "/templates/:id/delete", templates.Delete, web.Member)
	srv.Add(post, "/templates/:id/review", templates.Review, web.AdminOnly)

	groups := recipients.NewGroups(d.Audience, d.Suppressions)
	srv.Add(get, "/groups", groups.List, web.Member)
	srv.Add(post, "/groups", groups.Create, web.Member)
	srv.Add(get, "/groups/:id", groups.Show, web.Member)
	srv.Add(post, "/groups/:id", groups.Update, web.Member)
	srv.Add(post, "/groups/:id/delete", groups.Delete, web.Member)
	srv.Add(post, "/groups/:id/recipients", groups.AddRecipient, web.Member)
	srv.Add(post, "/groups/:id/paste", groups.Paste, web.Member)
	srv.Add(post, "/groups/:id/recipients/delete", groups.DeleteRecipient, web.Member)
	srv.Add(get, "/groups/:id/export.csv", groups.Export, web.Member)
	srv.AddWithBodyLimit(post, "/groups/:id/imports", groups.Upload, web.Member, recipients.UploadBodyLimit)
	srv.Add(get, "/groups/:id/imports/:job", groups.ImportStatus, web.Member)
	srv.Add(get, "/groups/:id/imports/:job/invalid.csv", groups.ImportReport, web.Member)

	suppressions := recipients.NewSuppressions(d.Suppressions)
	srv.Add(get, "/suppressions", suppressions.List, web.Member)
	srv.Add(post, "/suppressions", suppressions.Add, web.Member)
	srv.Add(post, "/suppressions/:id/delete", suppressions.Remove, web.Member)
	srv.AddWithBodyLimit(post, "/suppressions/import", suppressions.Import, web.Member, recipients.UploadBodyLimit)
	srv.Add(get, "/suppressions/export.csv", suppressions.Export, web.Member)

	tasks := NewTasks(d.TaskStore, d.Senders, d.Templates, d.Audience, d.Tracking, d.Tasks)
	srv.Add(get, "/tasks", tasks.List, web.Member)
	srv.Add(get, "/tasks/new", tasks.New, web.Member)
	srv.Add(post, "/tasks/new", tasks.Back, web.Member)
	srv.Add(post, "/tasks/preflight", tasks.Preflight, web.Member)
	srv.Add(post, "/tasks", tasks.Create, web.Member)
	srv.Add(get, "/tasks/:id", tasks.Show, web.Member)
	srv.Add(get, "/tasks/:id/live", tasks.Live, web.Member)
	srv.Add(get, "/tasks/:id/report", tasks.Report, web.Member)
	srv.Add(get, "/tasks/:id/report.csv", tasks.ReportCSV, web.Member)
	srv.Add(post, "/tasks/:id/pause", tasks.Pause(), web.Member)
	srv.Add(post, "/tasks/:id/resume", tasks.Resume(), web.Member)
	srv.Add(post, "/tasks/:id/cancel", tasks.Cancel(), web.Member)
	srv.Add(post, "/tasks/:id/end", tasks.End(), web.Member)
	srv.Add(post, "/tasks/:id/runs/:run/resend", tasks.ResendFailed, web.Member)

	sandbox := NewSandbox(d.Sandbox, d.Queue, d.Delivery)
	srv.Add(get, "/sandbox", sandbox.List, web.Member)
	srv.Add(post, "/sandbox/clear", sandbox.Clear, web.Member)
	srv.Add(get, "/sandbox/:id", sandbox.Show, web.Member)
	srv.Add(get, "/sandbox/:id/html", sandbox.HTML, web.Member)
	srv.Add(get, "/sandbox/:id/raw", sandbox.Raw, web.Member)

	messages := NewMessages(d.Queue, d.Domains, d.Senders, d.Templates, d.Sending, d.Builder)
	srv.Add(get, "/messages", messages.Lookup, web.Member)
	srv.Add(get, "/messages/:uid", messages.Show, web.Member)
	srv.Add(get, "/messages/:uid/summary", messages.Summary, web.Member)
	srv.Add(get, "/messages/:uid/html", messages.HTML, web.Member)
	srv.Add(get, "/send-test", messages.TestForm, web.Member)
	srv.Add(post, "/send-test", messages.SendTest, web.Member)

	apiKeys := NewAPIKeys(d.Accounts)
	srv.Add(get, "/api-keys", apiKeys.List, web.Member)
	srv.Add(post, "/api-keys", apiKeys.Create, web.Member)
	srv.Add(post, "/api-keys/:id/revoke", apiKeys.Revoke, web.Member)
	srv.Add(get, "/api-smtp", NewAPISMTP(d.Connection).Show, web.Member)
	webhooks.New(d.Webhooks, d.WebhookTester).Mount(srv)
}
