// Package layouts holds the page frames: the signed-in console shell and the
// bare frame of the sign-in and error pages.
package layouts

import "strings"

// NavEntry is one link of the console navigation.
type NavEntry struct {
	Label     string
	Href      string
	Icon      string // name of an icon in static/img/icons.svg
	AdminOnly bool
}

// NavSection groups entries under a heading.
type NavSection struct {
	Title   string
	Entries []NavEntry
}

// Navigation is the console's map, in the order users work: see, send,
// prepare, configure.
var Navigation = []NavSection{
	{Entries: []NavEntry{
		{Label: "Dashboard", Href: "/", Icon: "chart"},
		{Label: "Message look-up", Href: "/messages", Icon: "search"},
		{Label: "Tasks", Href: "/tasks", Icon: "send"},
		{Label: "Templates", Href: "/templates", Icon: "template"},
		{Label: "Recipient groups", Href: "/groups", Icon: "users"},
	}},
	{Title: "Senders", Entries: []NavEntry{
		{Label: "Domains", Href: "/domains", Icon: "globe"},
		{Label: "Sender addresses", Href: "/senders", Icon: "at"},
		{Label: "Suppression list", Href: "/suppressions", Icon: "block"},
		{Label: "Sandbox mailbox", Href: "/sandbox", Icon: "inbox"},
	}},
	{Title: "Developers", Entries: []NavEntry{
		{Label: "API & SMTP", Href: "/api-smtp", Icon: "code"},
		{Label: "API keys", Href: "/api-keys", Icon: "key"},
		{Label: "Webhooks", Href: "/webhooks", Icon: "bell", AdminOnly: true},
	}},
	{Title: "Admin", Entries: []NavEntry{
		{Label: "IPs & warm-up", Href: "/admin/ips", Icon: "server", AdminOnly: true},
		{Label: "Users", Href: "/admin/users", Icon: "shield", AdminOnly: true},
	}},
}

// IsCurrent reports whether a navigation entry covers path.
func IsCurrent(href, path string) bool {
	if href == "/" {
		return path == "/"
	}
	return path == href || strings.HasPrefix(path, href+"/")
}

// visibleSections drops admin-only entries for other users, and sections
// left empty.
func visibleSections(admin bool) []NavSection {
	var out []NavSection
	for _, s := range Navigation {
		var entries []NavEntry
		for _, e := range s.Entries {
			if !e.AdminOnly || admin {
				entries = append(entries, e)
			}
		}
		if len(entries) > 0 {
			out = append(out, NavSection{Title: s.Title, Entries: entries})
		}
	}
	return out
}

func initial(email string) string {
	if email == "" {
		return "?"
	}
	return strings.ToUpper(email[:1])
}
