package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/identity"
)

func TestWarmupCommands(t *testing.T) {
	ctx := context.Background()
	dbcfg := testdb.Config(t)
	st := testdb.OpenConfig(t, dbcfg)
	if _, err := st.Domains.AddDomain(ctx, "example.test", 1024); err != nil {
		t.Fatal(err)
	}
	if _, err := st.IPs.AddSendingIP(ctx, identity.NewSendingIP{Address: "127.0.0.2", HeloHost: "mta2.sesame.test", Pool: identity.PoolDedicated}); err != nil {
		t.Fatal(err)
	}
	vars := env(map[string]string{"SESAME_DATA_DIR": dbcfg.DataDir, "DATABASE_URL": dbcfg.DatabaseURL})
	sesame := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"warmup"}, args...), vars, &out, io.Discard)
		return out.String(), err
	}
	want := func(args []string, output string) {
		t.Helper()
		got, err := sesame(args...)
		if err != nil || got != output {
			t.Errorf("sesame warmup %s: %v\n%s\nwant\n%s", strings.Join(args, " "), err, got, output)
		}
	}

	want([]string{"show"}, ""+
		"SUBJECT              PLAN      DAY      TODAY'S QUOTA  USED  WAITING  HOLD\n"+
		"domain example.test  standard  1 of 20  500            0     0\n"+
		"ip (default route)   none      —        no limit       0     0\n"+
		"ip 127.0.0.2         standard  1 of 20  500            0     0\n")
	want([]string{"plan", "create", "--name", "gentle", "--quotas", "100, 200,400,800"}, "created plan gentle: 4 days, 100 to 800 a day\n")
	want([]string{"set", "--domain", "Example.TEST", "--plan", "gentle", "--day", "2"}, "domain example.test: plan gentle, day 2 of 4, today's quota 200\n")
	want([]string{"set", "--ip", "127.0.0.2", "--plan", "none"}, "ip 127.0.0.2: no warm-up, no daily limit\n")
	want([]string{"show"}, ""+
		"SUBJECT              PLAN    DAY     TODAY'S QUOTA  USED  WAITING  HOLD\n"+
		"domain example.test  gentle  2 of 4  200            0     0\n"+
		"ip (default route)   none    —       no limit       0     0\n"+
		"ip 127.0.0.2         none    —       no limit       0     0\n"+
		"\n"+
		"custom plans:\n"+
		"  gentle: 100,200,400,800\n")

	// Mistakes in the command line are usage errors (exit status 2) that
	// say what is wrong; refused values name their flag (exit status 1).
	for _, c := range []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{}, true, "sesame warmup show"},
		{[]string{"frob"}, true, "sesame warmup set (--domain D | --ip IP)"},
		{[]string{"show", "extra"}, true, "sesame warmup show"},
		{[]string{"set", "--plan", "standard"}, true, "give either --domain or --ip"},
		{[]string{"set", "--domain", "example.test", "--ip", "127.0.0.2", "--plan", "standard"}, true, "give either --domain or --ip"},
		{[]string{"set", "--domain", "example.test"}, true, "--plan is required"},
		{[]string{"set", "--domain", "example.test", "--plan", "standard", "--colour", "red"}, true, "flag provided but not defined: -colour"},
		{[]string{"set", "--domain", "example.test", "--plan", "standard", "now"}, true, `unexpected "now"`},
		{[]string{"plan", "delete", "--name", "gentle"}, true, "sesame warmup plan create"},
		{[]string{"set", "--domain", "nope.test", "--plan", "standard"}, false, "no sending domain nope.test: add it first"},
		{[]string{"set", "--ip", "192.0.2.1", "--plan", "standard"}, false, "no sending IP 192.0.2.1: register it first"},
		{[]string{"set", "--domain", "example.test", "--plan", "gentle", "--day", "9"}, false, "--day: The gentle plan has 4 days: choose a day from 1 to 4."},
		{[]string{"set", "--domain", "example.test", "--plan", "fast", "--day", "x"}, false, "--day: Enter the day as a whole number from 1, or leave it empty to keep the current day.\n--plan: There is no plan named \"fast\". Choose standard, none, or a custom plan (custom plans: gentle)."},
		{[]string{"set", "--domain", "example.test", "--plan", "none", "--day", "3"}, false, "--day: Without warm-up there is no plan day: leave the day empty."},
		{[]string{"plan", "create", "--name", "gentle", "--quotas", "5"}, false, "--name: A plan named gentle exists already."},
		{[]string{"plan", "create", "--name", "none", "--quotas", "1,000"}, false, "--name: \"standard\" and \"none\" are built in; choose another name.\n--quotas: \"000\" is not a daily quota"},
	} {
		out, err := sesame(c.args...)
		var uerr usageError
		if err == nil || errors.As(err, &uerr) != c.usage || !strings.Contains(err.Error(), c.want) || out != "" {
			t.Errorf("sesame warmup %s: %v (usage error: %v), printed %q; want %q", strings.Join(c.args, " "), err, errors.As(err, &uerr), out, c.want)
		}
	}
	// The refused changes changed nothing.
	want([]string{"set", "--domain", "example.test", "--plan", "gentle"}, "domain example.test: plan gentle, day 2 of 4, today's quota 200\n")
}
