// Package compose hands each of Sesame's parts the stores it takes: the
// one place that knows which, for sesame serve and for the tests that
// build the same parts.
package compose

import (
	"github.com/sesame-email/sesame/handlers"
	"github.com/sesame-email/sesame/handlers/amazon"
	"github.com/sesame-email/sesame/handlers/api"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models/store"
)

// Console is the console's stores; the caller adds the rest of the
// handlers' dependencies.
func Console(st *store.Store, d handlers.Deps) handlers.Deps {
	d.Accounts, d.Domains, d.Senders, d.IPs = st.Accounts, st.Domains, st.Senders, st.IPs
	d.Templates, d.Audience, d.Suppressions = st.Templates, st.Audience, st.Suppressions
	d.Queue, d.Sandbox, d.TaskStore, d.Tracking, d.Sending = st.Queue, st.Sandbox, st.Tasks, st.Tracking, st.Sending
	d.Webhooks, d.Retention = st.Webhooks, st.Retention
	return d
}

// API is the API's stores; the caller adds the rest of its configuration.
func API(st *store.Store, cfg api.Config) api.Config {
	cfg.Keys, cfg.Location = st.Accounts, st.DB.Location()
	cfg.Domains, cfg.Senders, cfg.IPs, cfg.Templates = st.Domains, st.Senders, st.IPs, st.Templates
	cfg.Groups, cfg.Suppressions, cfg.Messages, cfg.TaskStore, cfg.Sending = st.Audience, st.Suppressions, st.Queue, st.Tasks, st.Sending
	return cfg
}

// Amazon is the Amazon SES API's config: its stores and the sending rules.
func Amazon(st *store.Store, cfg amazon.Config) amazon.Config {
	cfg.Keys, cfg.Senders, cfg.Sending, cfg.Templates = st.Accounts, st.Senders, st.Sending, st.Templates
	cfg.Suppressions, cfg.Domains, cfg.Warmup, cfg.Stats = st.Suppressions, st.Domains, st.Queue, st.Queue
	return cfg
}

// Engine is the delivery engine's stores.
func Engine(st *store.Store) mailer.EngineStores {
	return mailer.EngineStores{Queue: st.Queue, Domains: st.Domains, IPs: st.IPs, Suppressions: st.Suppressions}
}

// SMTP is the SMTP server's stores.
func SMTP(st *store.Store) smtpd.Stores {
	return smtpd.Stores{Domains: st.Domains, Reports: st.Queue, Senders: st.Senders, Sending: st.Sending}
}
