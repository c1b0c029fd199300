package main

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/accounts"
)

// A `sesame serve` killed with SIGKILL while 8 SDK clients send has every
// message it answered SendEmail for in the queue: a request is answered
// only once its group's commit is durable.
func TestAPIAcceptedMailSurvivesACrash(t *testing.T) {
	addr := freeAddr(t)
	f := newChildFixture(t, "SESAME_HTTP_ADDR="+addr)
	ctx := context.Background()
	tpl := fixtures.Template(t, f.store, "crash")
	u, err := f.store.Accounts.CreateUser(ctx, accounts.NewUser{Email: "crash@example.com", Password: "crash password 1", Role: accounts.RoleMarketer})
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := f.store.Accounts.CreateAPIKey(ctx, u.ID, "crash")
	if err != nil {
		t.Fatal(err)
	}
	child, _ := f.start()
	waitFor(t, 30*time.Second, func() bool {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == http.StatusOK
	})

	var mu sync.Mutex
	var accepted []string
	var wg sync.WaitGroup
	for c := range 8 {
		prof := profile.NewClientProfile()
		prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = addr, "http"
		client, err := ses.NewClient(common.NewCredential(key.SecretID, secret), "ap-guangzhou", prof)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for n := 0; ; n++ { // until the kill fails a request
				req := ses.NewSendEmailRequest()
				req.FromEmailAddress = common.StringPtr(f.sender.Email)
				req.Destination = common.StringPtrs([]string{"c" + strconv.Itoa(c) + "-" + strconv.Itoa(n) + "@dest.test"})
				req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tpl.ID), TemplateData: common.StringPtr(`{"name":"Ann"}`)}
				res, err := client.SendEmail(req)
				if err != nil {
					return
				}
				mu.Lock()
				accepted = append(accepted, *res.Response.MessageId)
				mu.Unlock()
			}
		})
	}
	waitFor(t, 60*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) >= 300 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	wg.Wait()

	for _, uid := range accepted {
		if _, err := f.store.Queue.GetMessageByUID(ctx, uid); err != nil {
			t.Errorf("message %s was accepted, and after the crash: %v", uid, err)
		}
	}
	t.Logf("%d requests accepted before the kill, each found", len(accepted))
}
