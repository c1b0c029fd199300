package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sesame-email/sesame/handlers/api"
	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/internal/tc3"
)

const apiUsage = `usage: sesame api ACTION [--json BODY | --file F]

Calls an action of the Tencent Cloud SES-compatible API (version 2020-10-02)
of a running Sesame, signed like the SDK, and prints the JSON answer; the
exit status is 1 when the answer is an error. BODY is the request as JSON
(default {}); F is a file holding it, - for standard input.

  TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY  the API key (from sesame apikey create)
  SESAME_ENDPOINT                      Sesame's URL; default http:// and SESAME_HTTP_ADDR`

// apiCommand calls the API. It needs no database, only a key: it runs
// before the server's configuration is read.
func apiCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError(apiUsage)
	}
	action := args[0]
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	jsonBody := fs.String("json", "", "the request body")
	file := fs.String("file", "", "a file holding the request body; - for standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err.Error() + "\n" + apiUsage)
	}
	if fs.NArg() > 0 || (*jsonBody != "" && *file != "") {
		return usageError("give the body with --json or --file, not both, after the action\n" + apiUsage)
	}
	body := []byte(*jsonBody)
	switch {
	case *file == "-":
		b, err := io.ReadAll(io.LimitReader(stdin, api.MaxBodyBytes+1))
		if err != nil {
			return err
		}
		body = b
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		body = b
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		return usageError("the body is not valid JSON")
	}
	cred := tc3.Credential{SecretID: strings.TrimSpace(getenv("TENCENTCLOUD_SECRET_ID")), SecretKey: strings.TrimSpace(getenv("TENCENTCLOUD_SECRET_KEY"))}
	if cred.SecretID == "" || cred.SecretKey == "" {
		return &configError{"TENCENTCLOUD_SECRET_ID", "and TENCENTCLOUD_SECRET_KEY must hold an API key (create one with sesame apikey create)"}
	}
	endpoint := strings.TrimSpace(getenv("SESAME_ENDPOINT"))
	if endpoint == "" {
		addr := strings.TrimSpace(getenv("SESAME_HTTP_ADDR"))
		if addr == "" {
			addr = "127.0.0.1:8080"
		}
		endpoint = "http://" + addr
	}
	if !strings.Contains(endpoint, "://") {
		endpoint = "http://" + endpoint
	}
	out, err := callAPI(ctx, strings.TrimSuffix(endpoint, "/")+"/", action, body, cred)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		return fmt.Errorf("the answer is not JSON: %.200s", out)
	}
	pretty.WriteByte('\n')
	if _, err := stdout.Write(pretty.Bytes()); err != nil {
		return err
	}
	var answer struct {
		Response struct {
			Error *wire.Error `json:"Error"`
		} `json:"Response"`
	}
	if err := json.Unmarshal(out, &answer); err != nil {
		return err
	}
	if e := answer.Response.Error; e != nil {
		return errors.New(e.Code + ": " + e.Message)
	}
	return nil
}

// callAPI sends one signed request and returns the body of the answer.
func callAPI(ctx context.Context, url, action string, body []byte, cred tc3.Credential) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, &configError{"SESAME_ENDPOINT", err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", api.Version)
	req.Header.Set("X-TC-RequestClient", "sesame-cli/"+version)
	tc3.Sign(req, body, cred, api.Service, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %.200s", url, resp.Status, out)
	}
	return out, nil
}
