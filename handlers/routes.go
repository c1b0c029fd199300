package handlers

import (
	"net/http"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/web"
)

// Deps is what the console's handlers are built from.
type Deps struct {
	Store *models.Store
	DNS   models.DNSLookup
}

// Mount registers every console route on srv, each with its access rule.
func Mount(srv *web.Server, d Deps) {
	store := d.Store
	const (
		get  = http.MethodGet
		post = http.MethodPost
	)
	auth := NewAuth(store, srv)
	srv.Add(get, "/login", auth.Form, web.Public)
	srv.Add(post, "/login", auth.Login, web.Public)
	srv.Add(post, "/logout", auth.Logout, web.Member)

	srv.Add(get, "/", NewDashboard(store).Show, web.Member)

	account := NewAccount(store)
	srv.Add(get, "/account", account.Show, web.Member)
	srv.Add(post, "/account/password", account.ChangePassword, web.Member)
	srv.Add(post, "/account/timezone", account.SetTimeZone, web.Member)

	users := NewUsers(store)
	srv.Add(get, "/admin/users", users.List, web.AdminOnly)
	srv.Add(get, "/admin/users/new", users.New, web.AdminOnly)
	srv.Add(post, "/admin/users", users.Create, web.AdminOnly)
	srv.Add(get, "/admin/users/:id", users.Edit, web.AdminOnly)
	srv.Add(post, "/admin/users/:id", users.Update, web.AdminOnly)
	srv.Add(post, "/admin/users/:id/password", users.ResetPassword, web.AdminOnly)

	domains := NewDomains(store, d.DNS)
	srv.Add(get, "/domains", domains.List, web.Member)
	srv.Add(get, "/domains/new", domains.New, web.AdminOnly)
	srv.Add(post, "/domains", domains.Create, web.AdminOnly)
	srv.Add(get, "/domains/:name", domains.Show, web.Member)
	srv.Add(post, "/domains/:name/verify", domains.Verify, web.AdminOnly)
	srv.Add(post, "/domains/:name/dkim", domains.AddKey, web.AdminOnly)
	srv.Add(post, "/domains/:name/delete", domains.Delete, web.AdminOnly)

	senders := NewSenders(store)
	srv.Add(get, "/senders", senders.List, web.Member)
	srv.Add(post, "/senders", senders.Create, web.Member)
	srv.Add(post, "/senders/:id/password", senders.SetPassword, web.Member)
	srv.Add(post, "/senders/:id/delete", senders.Delete, web.Member)

	ips := NewIPs(store)
	srv.Add(get, "/admin/ips", ips.List, web.AdminOnly)
	srv.Add(post, "/admin/ips", ips.Create, web.AdminOnly)
	srv.Add(get, "/admin/ips/:id", ips.Edit, web.AdminOnly)
	srv.Add(post, "/admin/ips/:id", ips.Update, web.AdminOnly)
	srv.Add(post, "/admin/ips/:id/delete", ips.Delete, web.AdminOnly)
	srv.Add(get, "/admin/ips/warmup/:kind/:id", ips.EditWarmup, web.AdminOnly)
	srv.Add(post, "/admin/ips/warmup/:kind/:id", ips.SetWarmup, web.AdminOnly)
	srv.Add(post, "/admin/ips/plans", ips.CreatePlan, web.AdminOnly)

	for _, p := range []struct {
		path, title, text string
		access            web.Access
	}{
		{"/tasks", "Tasks", "Batch, scheduled and recurring sending tasks will be listed here.", web.Member},
		{"/templates", "Templates", "Email templates with {{variables}} will be listed here.", web.Member},
		{"/groups", "Recipient groups", "Recipient groups imported from CSV will be listed here.", web.Member},
		{"/suppressions", "Suppression list", "Addresses and domains that are never sent to will be listed here.", web.Member},
		{"/sandbox", "Sandbox mailbox", "Mail delivered by the sandbox transport will appear here.", web.Member},
		{"/api-keys", "API keys", "API keys for the Tencent-compatible API will be listed here.", web.Member},
	} {
		srv.Add(get, p.path, placeholder(p.title, p.text), p.access)
	}
}
