package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sesame-email/sesame/mailer/webhook"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/models/webhooks"
)

const webhookUsage = `usage:
  sesame webhook add --url URL [--sender ADDRESS] [--events delivered,bounce,...] [--secret S] [--custom VALUE]
  sesame webhook list
  sesame webhook rm ID
  sesame webhook test ID`

// webhookPoster is the poster of a process: `sesame serve`'s, giving way
// to its delivery engine while delivering reports true, or the one
// `sesame webhook test` posts its test event with (delivering nil).
func (cfg *Config) webhookPoster(st *store.Store, clock models.Clock, log *slog.Logger, owner string, delivering func() bool) *webhook.Poster {
	c := webhook.DefaultConfig
	c.Owner, c.Allow, c.Delivering = owner, cfg.WebhookAllow, delivering
	if cfg.QueueLease > 0 { // a dead process's endpoints are taken over as its messages are
		c.Lease = cfg.QueueLease
	}
	return webhook.NewPoster(st.Webhooks, st.Queue, clock, log, c)
}

// webhookCommand manages event webhooks from the shell.
func webhookCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError(webhookUsage)
	}
	fs := flag.NewFlagSet("webhook "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var in webhooks.EndpointInput
	fs.StringVar(&in.URL, "url", "", "where events are posted")
	fs.StringVar(&in.SenderEmail, "sender", "", "only this sender address's mail; empty: every address without endpoints of its own")
	fs.StringVar(&in.Events, "events", "", "comma-separated events; empty: all")
	fs.StringVar(&in.Secret, "secret", "", "signing secret; empty: generated")
	fs.StringVar(&in.CustomValue, "custom", "", "sent as X-Tencentcloudses-Cb-Custom")
	positional := 1
	if args[0] == "add" || args[0] == "list" {
		positional = 0
	}
	if err := parseCommandFlags(fs, args[1:], positional, webhookUsage); err != nil {
		return err
	}
	var id uint64
	if positional == 1 {
		var err error
		if id, err = strconv.ParseUint(fs.Arg(0), 10, 64); err != nil {
			return usageError("ID must be an endpoint's number, as `sesame webhook list` shows it\n" + webhookUsage)
		}
	}
	var run func(*store.Store) error
	switch args[0] {
	case "add":
		run = func(st *store.Store) error {
			ep, secret, err := st.Webhooks.CreateEndpoint(ctx, in)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "endpoint %d posts %s to %s\nsigning secret (shown only this once): %s\n", ep.ID, ep.EventList, ep.URL, secret)
			return nil
		}
	case "list":
		run = func(st *store.Store) error { return webhookList(ctx, st, stdout) }
	case "rm":
		run = func(st *store.Store) error {
			if err := st.Webhooks.DeleteEndpoint(ctx, id); err != nil {
				return endpointError(id, err)
			}
			fmt.Fprintf(stdout, "endpoint %d removed\n", id)
			return nil
		}
	case "test":
		run = func(st *store.Store) error {
			ep, err := st.Webhooks.GetEndpoint(ctx, id)
			if err != nil {
				return endpointError(id, err)
			}
			a, err := cfg.webhookPoster(st, models.SystemClock{}, newLogger(cfg.LogFormat, os.Stderr), leaseOwner(), nil).Test(ctx, ep)
			if err != nil {
				return err
			}
			if a.Error != "" {
				return fmt.Errorf("test event not delivered: %s", a.Error)
			}
			fmt.Fprintf(stdout, "HTTP %d in %d ms: %s\n", a.StatusCode, a.LatencyMS, strings.TrimSpace(a.Response))
			if !a.OK() {
				return fmt.Errorf("the endpoint answered %d, not 2xx", a.StatusCode)
			}
			return nil
		}
	default:
		return usageError(webhookUsage)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	return run(st)
}

func endpointError(id uint64, err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no webhook endpoint %d (see `sesame webhook list`)", id)
	}
	return err
}

func webhookList(ctx context.Context, st *store.Store, stdout io.Writer) error {
	eps, err := st.Webhooks.ListEndpoints(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSENDER\tURL\tEVENTS\tSTATE")
	for _, ep := range eps {
		state := "enabled"
		switch ep.State() {
		case webhooks.StateSwitchedOff:
			state = "switched off: " + ep.DisabledReason
		case webhooks.StateOff:
			state = "disabled"
		case webhooks.StateFailing:
			state = "failing since " + ep.FailingSince.Format("2006-01-02 15:04 MST")
		}
		events := ep.EventList
		if ep.AllEvents() {
			events = "all"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", ep.ID, ep.Scope(), ep.URL, events, state)
	}
	return w.Flush()
}
