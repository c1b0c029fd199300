// Command sesame is the whole of Sesame in one binary: the console, the API,
// the SMTP interface and the delivery pipeline (`sesame serve`), plus the
// commands an operator needs around it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // users pick any IANA zone, also on hosts without zoneinfo

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/store"
)

// version is stamped by `make build` with -ldflags.
var version = "dev"

const usage = `Sesame: self-hosted email sending.

Usage:
  sesame serve                 run the console, API, SMTP and delivery
  sesame migrate               apply database migrations and exit
  sesame user create --email E --password P --role admin|marketer
  sesame warmup show           every domain's and IP's plan, day, quota, use, waiting, hold
  sesame warmup set (--domain D | --ip IP) --plan standard|none|<custom plan> [--day N]
  sesame warmup plan create --name N --quotas 100,200,400,...
  sesame apikey create --user EMAIL [--name NAME]
                               make an API key; prints SecretId= and SecretKey=
  sesame apikey list [--user EMAIL]
  sesame apikey revoke SECRETID
  sesame webhook add --url URL [--sender ADDRESS] [--events delivered,bounce,...] [--secret S] [--custom VALUE]
                               add an event webhook; prints its signing secret once
  sesame webhook list
  sesame webhook rm ID
  sesame webhook test ID       post a test event to the endpoint and print the answer
  sesame prune [--before YYYY-MM-DD]
                               remove messages past SESAME_RETENTION (or created before that day) now, and print what went
  sesame api ACTION [--json BODY | --file F]
                               call the Tencent SES-compatible API of a running Sesame
  sesame dev seed-events --count N [--days 30]
                               write made-up sending history (messages, events, rollups) for demos and benchmarks
  sesame version               print the version

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sesame:", err)
		var uerr usageError
		if errors.As(err, &uerr) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("missing command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "sesame", version)
		return nil
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return nil
	case "api":
		// A client command: it needs the API key in TENCENTCLOUD_SECRET_ID and
		// TENCENTCLOUD_SECRET_KEY, not the server's configuration.
		return apiCommand(ctx, rest, getenv, os.Stdin, stdout)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, stdout)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "user":
		return userCommand(ctx, cfg, rest, stdout)
	case "warmup":
		return warmupCommand(ctx, cfg, rest, stdout)
	case "apikey":
		return apikeyCommand(ctx, cfg, rest, stdout)
	case "prune":
		return pruneCommand(ctx, cfg, rest, stdout)
	case "webhook":
		return webhookCommand(ctx, cfg, rest, stdout)
	case "dev":
		return devCommand(ctx, cfg, rest, stdout)
	default:
		fmt.Fprint(stderr, usage)
		return usageError("unknown command " + cmd)
	}
}

func openStore(ctx context.Context, cfg Config) (*store.Store, error) {
	log := newLogger(cfg.LogFormat, os.Stderr)
	if err := cfg.prepareDataDir(log); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.storeConfig(log, models.SystemClock{}))
	if err != nil {
		return nil, err
	}
	if _, err := st.DB.Migrate(ctx); err != nil {
		st.DB.Close()
		return nil, err
	}
	return st, nil
}

func migrate(ctx context.Context, cfg Config, stdout io.Writer) error {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	v, err := st.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database at schema version %d\n", v)
	return nil
}

func userCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("usage: sesame user create --email E --password P --role admin|marketer")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	email := fs.String("email", "", "email address, used to sign in")
	password := fs.String("password", "", "password, at least 10 characters")
	role := fs.String("role", "marketer", "admin or marketer")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error())
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	u, err := st.Accounts.CreateUser(ctx, accounts.NewUser{Email: *email, Password: *password, Role: accounts.Role(*role)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s user %s\n", u.Role, u.Email)
	return nil
}
