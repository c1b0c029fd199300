package handlers

import (
	"net/http"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/web"
)

// Mount registers every console route on srv, each with its access rule.
func Mount(srv *web.Server, store *models.Store) {
	const (
		get  = http.MethodGet
		post = http.MethodPost
	)
	auth := NewAuth(store, srv)
	srv.Add(get, "/login", auth.Form, web.Public)
	srv.Add(post, "/login", auth.Login, web.Public)
	srv.Add(post, "/logout", auth.Logout, web.Member)

	srv.Add(get, "/", Dashboard{}.Show, web.Member)

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

	for _, p := range []struct {
		path, title, text string
		access            web.Access
	}{
		{"/tasks", "Tasks", "Batch, scheduled and recurring sending tasks will be listed here.", web.Member},
		{"/templates", "Templates", "Email templates with {{variables}} will be listed here.", web.Member},
		{"/groups", "Recipient groups", "Recipient groups imported from CSV will be listed here.", web.Member},
		{"/domains", "Domains", "Sending domains with their DNS records will be listed here.", web.Member},
		{"/senders", "Sender addresses", "Sender addresses of verified domains will be listed here.", web.Member},
		{"/suppressions", "Suppression list", "Addresses and domains that are never sent to will be listed here.", web.Member},
		{"/sandbox", "Sandbox mailbox", "Mail delivered by the sandbox transport will appear here.", web.Member},
		{"/admin/ips", "IPs & warm-up", "Sending IPs and their warm-up plans will be listed here.", web.AdminOnly},
		{"/api-keys", "API keys", "API keys for the Tencent-compatible API will be listed here.", web.Member},
	} {
		srv.Add(get, p.path, placeholder(p.title, p.text), p.access)
	}
}
