package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/views/components"
)

const warmupUsage = `usage:
  sesame warmup show
  sesame warmup set (--domain D | --ip IP) --plan standard|none|<custom plan> [--day N]
  sesame warmup plan create --name N --quotas 100,200,400,...`

// warmupCommand shows and changes warm-up plans, for automation.
func warmupCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError(warmupUsage)
	}
	var run func(*store.Store) error
	switch {
	case args[0] == "show" && len(args) == 1:
		run = func(st *store.Store) error { return warmupShow(ctx, st, stdout) }
	case args[0] == "set":
		ref, ch, err := parseWarmupSet(args[1:])
		if err != nil {
			return err
		}
		run = func(st *store.Store) error { return warmupSet(ctx, st, ref, ch, stdout) }
	case args[0] == "plan" && len(args) > 1 && args[1] == "create":
		in, err := parseWarmupPlan(args[2:])
		if err != nil {
			return err
		}
		run = func(st *store.Store) error { return warmupPlanCreate(ctx, st, in, stdout) }
	default:
		return usageError(warmupUsage)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	return run(st)
}

// parseFlags parses a subcommand's flags, turning every mistake, stray
// arguments included, into a usage error that ends with usage.
func parseFlags(fs *flag.FlagSet, args []string, usage string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error() + "\n" + usage)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected " + strconv.Quote(fs.Arg(0)) + "\n" + usage)
	}
	return nil
}

// warmupRef names the domain or IP a command changes.
type warmupRef struct {
	kind queue.WarmupSubjectKind
	name string
}

func parseWarmupSet(args []string) (warmupRef, queue.WarmupChange, error) {
	fs := flag.NewFlagSet("warmup set", flag.ContinueOnError)
	domain := fs.String("domain", "", "sending domain")
	ip := fs.String("ip", "", "sending IP address")
	plan := fs.String("plan", "", "standard, none, or a custom plan's name")
	day := fs.String("day", "", "today's day of the plan; keeps the current day when left out")
	if err := parseFlags(fs, args, warmupUsage); err != nil {
		return warmupRef{}, queue.WarmupChange{}, err
	}
	var ref warmupRef
	switch {
	case (*domain == "") == (*ip == ""):
		return ref, queue.WarmupChange{}, usageError("give either --domain or --ip\n" + warmupUsage)
	case strings.TrimSpace(*plan) == "":
		return ref, queue.WarmupChange{}, usageError("--plan is required: standard, none, or a custom plan's name\n" + warmupUsage)
	case *domain != "":
		ref = warmupRef{queue.WarmupDomain, *domain}
	default:
		ref = warmupRef{queue.WarmupIP, *ip}
	}
	return ref, queue.WarmupChange{Plan: *plan, Day: *day}, nil
}

func parseWarmupPlan(args []string) (queue.NewWarmupPlan, error) {
	fs := flag.NewFlagSet("warmup plan create", flag.ContinueOnError)
	name := fs.String("name", "", "the plan's name")
	quotas := fs.String("quotas", "", "daily quotas, day 1 first, separated by commas")
	if err := parseFlags(fs, args, warmupUsage); err != nil {
		return queue.NewWarmupPlan{}, err
	}
	return queue.NewWarmupPlan{Name: *name, Quotas: *quotas}, nil
}

// flagError says what is wrong with each flag of a command.
func flagError(err error) error {
	var verr *models.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	fields := make([]string, 0, len(verr.Fields))
	for f := range verr.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	lines := make([]string, len(fields))
	for i, f := range fields {
		lines[i] = "--" + f + ": " + verr.Fields[f]
	}
	return errors.New(strings.Join(lines, "\n"))
}

func warmupSet(ctx context.Context, st *store.Store, ref warmupRef, ch queue.WarmupChange, stdout io.Writer) error {
	var id uint64
	if ref.kind == queue.WarmupDomain {
		d, err := st.Domains.GetDomainByName(ctx, ref.name)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("no sending domain %s: add it first", ref.name)
		} else if err != nil {
			return err
		}
		id = d.ID
	} else {
		ip, err := st.IPs.GetSendingIPByAddress(ctx, ref.name)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("no sending IP %s: register it first", ref.name)
		} else if err != nil {
			return err
		}
		id = ip.ID
	}
	if err := st.Queue.SetWarmup(ctx, ref.kind, id, ch); err != nil {
		return flagError(err)
	}
	all, err := st.Queue.WarmupOverview(ctx)
	if err != nil {
		return err
	}
	for _, s := range all {
		if s.Kind == ref.kind && s.ID == id {
			if s.Unlimited {
				fmt.Fprintf(stdout, "%s: no warm-up, no daily limit\n", subjectName(s))
			} else {
				fmt.Fprintf(stdout, "%s: plan %s, day %s, today's quota %s\n", subjectName(s), s.Plan, s.DayLabel(), components.FormatCount(s.Quota))
			}
		}
	}
	return nil
}

func subjectName(s queue.WarmupStatus) string {
	if s.Name == "" {
		return string(s.Kind) + " (default route)"
	}
	return string(s.Kind) + " " + s.Name
}

func warmupShow(ctx context.Context, st *store.Store, stdout io.Writer) error {
	all, err := st.Queue.WarmupOverview(ctx)
	if err != nil {
		return err
	}
	plans, err := st.Queue.ListWarmupPlans(ctx)
	if err != nil {
		return err
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tPLAN\tDAY\tTODAY'S QUOTA\tUSED\tWAITING\tHOLD")
	for _, s := range all {
		quota := "no limit"
		if !s.Unlimited {
			quota = components.FormatCount(s.Quota)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", subjectName(s), s.Plan, s.DayLabel(), quota,
			components.FormatCount(s.Used), components.FormatCount(s.Forecast.WaitingForQuota()), s.HoldReason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(stdout, strings.TrimRight(line, " \n")) // no padding after an empty last column
	}
	if len(plans) > 0 {
		fmt.Fprintln(stdout, "\ncustom plans:")
	}
	for _, p := range plans {
		quotas := make([]string, 0, len(p.Days()))
		for _, q := range p.Days() {
			quotas = append(quotas, strconv.Itoa(q))
		}
		fmt.Fprintf(stdout, "  %s: %s\n", p.Name, strings.Join(quotas, ","))
	}
	return nil
}

func warmupPlanCreate(ctx context.Context, st *store.Store, in queue.NewWarmupPlan, stdout io.Writer) error {
	p, err := st.Queue.CreateWarmupPlan(ctx, in)
	if err != nil {
		return flagError(err)
	}
	days := p.Days()
	fmt.Fprintf(stdout, "created plan %s: %d days, %s to %s a day\n", p.Name, len(days),
		components.FormatCount(days[0]), components.FormatCount(days[len(days)-1]))
	return nil
}
