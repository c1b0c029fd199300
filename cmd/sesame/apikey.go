package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/store"
)

const apikeyUsage = `usage:
  sesame apikey create --user EMAIL [--name NAME]
  sesame apikey list [--user EMAIL]
  sesame apikey revoke SECRETID`

// apikeyCommand manages API keys from the shell.
func apikeyCommand(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError(apikeyUsage)
	}
	fs := flag.NewFlagSet("apikey "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	user := fs.String("user", "", "the key's user, by email address")
	name := fs.String("name", "", "what uses the key")
	var run func(*store.Store) error
	switch args[0] {
	case "create":
		if err := parseCommandFlags(fs, args[1:], 0, apikeyUsage); err != nil {
			return err
		}
		if *user == "" {
			return usageError("--user is required\n" + apikeyUsage)
		}
		run = func(st *store.Store) error { return apikeyCreate(ctx, st, *user, *name, stdout) }
	case "list":
		if err := parseCommandFlags(fs, args[1:], 0, apikeyUsage); err != nil {
			return err
		}
		run = func(st *store.Store) error { return apikeyList(ctx, st, *user, stdout) }
	case "revoke":
		if err := parseCommandFlags(fs, args[1:], 1, apikeyUsage); err != nil {
			return err
		}
		id := fs.Arg(0)
		run = func(st *store.Store) error { return apikeyRevoke(ctx, st, id, stdout) }
	default:
		return usageError(apikeyUsage)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.DB.Close()
	return run(st)
}

// parseCommandFlags parses flags and wants exactly args positional
// arguments after them; usage is the command's, for mistakes.
func parseCommandFlags(fs *flag.FlagSet, args []string, positional int, usage string) error {
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error() + "\n" + usage)
	}
	if fs.NArg() != positional {
		return usageError("wrong number of arguments\n" + usage)
	}
	return nil
}

func userByEmail(ctx context.Context, st *store.Store, email string) (*accounts.User, error) {
	u, err := st.Accounts.GetUserByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) {
		return nil, fmt.Errorf("--user: no user %s", email)
	}
	return u, err
}

func apikeyCreate(ctx context.Context, st *store.Store, email, name string, stdout io.Writer) error {
	u, err := userByEmail(ctx, st, email)
	if err != nil {
		return err
	}
	k, secret, err := st.Accounts.CreateAPIKey(ctx, u.ID, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "SecretId=%s\nSecretKey=%s\n", k.SecretID, secret)
	return nil
}

func apikeyList(ctx context.Context, st *store.Store, email string, stdout io.Writer) error {
	var userID uint64
	if email != "" {
		u, err := userByEmail(ctx, st, email)
		if err != nil {
			return err
		}
		userID = u.ID
	}
	keys, err := st.Accounts.ListAPIKeys(ctx, userID)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SECRETID\tNAME\tUSER\tCREATED\tLAST USED\tSTATUS")
	for _, k := range keys {
		lastUsed, status, user := "never", "active", ""
		if k.LastUsedAt != nil {
			lastUsed = k.LastUsedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		if k.Revoked() {
			status = "revoked " + k.RevokedAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		if k.User != nil {
			user = k.User.Email
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.SecretID, strconv.Quote(k.Name), user, k.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), lastUsed, status)
	}
	return w.Flush()
}

func apikeyRevoke(ctx context.Context, st *store.Store, secretID string, stdout io.Writer) error {
	k, err := st.Accounts.GetAPIKeyBySecretID(ctx, secretID)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("no API key %s", secretID)
	}
	if err != nil {
		return err
	}
	if err := st.Accounts.RevokeAPIKey(ctx, k.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked %s\n", k.SecretID)
	return nil
}
