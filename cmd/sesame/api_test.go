package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/models/accounts"
)

func TestAPIKeyAndAPICommands(t *testing.T) {
	ctx := context.Background()
	a := startApp(t)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	server := map[string]string{"SESAME_DATA_DIR": a.cfg.DataDir, "DATABASE_URL": a.cfg.DatabaseURL}
	sesame := func(vars map[string]string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, env(vars), &out, io.Discard)
		return out.String(), err
	}

	out, err := sesame(server, "apikey", "create", "--user", "ann@example.com", "--name", "ci")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "SecretId=AKID") || !strings.HasPrefix(lines[1], "SecretKey=") {
		t.Fatalf("apikey create printed:\n%s", out)
	}
	id, key := strings.TrimPrefix(lines[0], "SecretId="), strings.TrimPrefix(lines[1], "SecretKey=")
	out, err = sesame(server, "apikey", "list", "--user", "ann@example.com")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, `"ci"`) || !strings.Contains(out, "active") {
		t.Fatalf("apikey list: %v\n%s", err, out)
	}

	// The key in the variables Tencent Cloud's SDKs read: SESAME_SECRET_KEY
	// is the server's own key, not an API secret.
	client := map[string]string{"TENCENTCLOUD_SECRET_ID": id, "TENCENTCLOUD_SECRET_KEY": key, "SESAME_ENDPOINT": a.URL}
	out, err = sesame(client, "api", "ListEmailAddress")
	if err != nil || !strings.Contains(out, `"EmailSenders": []`) || !strings.Contains(out, `"RequestId"`) {
		t.Fatalf("api ListEmailAddress: %v\n%s", err, out)
	}
	out, err = sesame(client, "api", "CreateReceiver", "--json", `{"ReceiversName": "From the shell"}`)
	if err != nil || !strings.Contains(out, `"ReceiverId": `) {
		t.Fatalf("api CreateReceiver: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte(`{"KeyWord": "shell"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = sesame(client, "api", "ListReceivers", "--file", file)
	if err != nil || !strings.Contains(out, `"ReceiversName": "From the shell"`) {
		t.Fatalf("api ListReceivers --file: %v\n%s", err, out)
	}
	// An error answer is printed and fails the command.
	out, err = sesame(client, "api", "CreateEmailIdentity", "--json", `{"EmailIdentity": "example.com"}`)
	if err == nil || !strings.Contains(err.Error(), "AuthFailure.UnauthorizedOperation") || !strings.Contains(out, `"Code": "AuthFailure.UnauthorizedOperation"`) {
		t.Fatalf("a marketer's CreateEmailIdentity: %v\n%s", err, out)
	}

	// Mistakes in the command line are usage errors.
	var uerr usageError
	for _, args := range [][]string{
		{"api"},
		{"api", "ListReceivers", "--json", "{not json"},
		{"api", "ListReceivers", "--json", "{}", "--file", file},
		{"apikey", "create"},
		{"apikey", "revoke"},
		{"apikey", "rotate"},
	} {
		if _, err := sesame(mergeVars(server, client), args...); !errors.As(err, &uerr) {
			t.Errorf("sesame %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	if _, err := sesame(server, "api", "ListReceivers"); err == nil || !strings.Contains(err.Error(), "TENCENTCLOUD_SECRET_ID") {
		t.Errorf("without a key: %v", err)
	}
	if _, err := sesame(server, "apikey", "create", "--user", "nobody@example.com"); err == nil || errors.As(err, &uerr) {
		t.Errorf("an unknown user: %v", err)
	}

	out, err = sesame(server, "apikey", "revoke", id)
	if err != nil || out != "revoked "+id+"\n" {
		t.Fatalf("apikey revoke: %v %q", err, out)
	}
	if _, err := sesame(client, "api", "ListEmailAddress"); err == nil || !strings.Contains(err.Error(), "AuthFailure.SecretIdNotFound") {
		t.Errorf("a revoked key: %v", err)
	}
}

func mergeVars(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
