package api_test

import (
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"
)

func TestGetStatisticsReport(t *testing.T) {
	e := newEnv(t)
	c := e.marketer()
	e.verifiedSender("news@example.com", "News")
	e.verifiedSender("alerts@example.org", "Alerts")
	tplID := e.template(t, "Hello", "<p>Hello {{name}}</p>")
	send := func(from string, to ...string) {
		req := sendRequest(tplID)
		req.FromEmailAddress = common.StringPtr(from)
		req.Destination = common.StringPtrs(to)
		_, err := c.SendEmail(req)
		must(t, err)
	}
	send("news@example.com", "a@gmail.com", "b@hotmail.com", "c@dest.example.net")
	send("alerts@example.org", "d@gmail.com")
	e.deliver()

	today := time.Now().UTC()
	req := ses.NewGetStatisticsReportRequest()
	req.StartDate = common.StringPtr(today.AddDate(0, 0, -2).Format(time.DateOnly))
	req.EndDate = common.StringPtr(today.Format(time.DateOnly))
	all, err := c.GetStatisticsReport(req)
	must(t, err)
	r := all.Response
	if len(r.DailyVolumes) != 3 || *r.DailyVolumes[2].SendDate != today.Format(time.DateOnly) || *r.DailyVolumes[0].RequestCount != 0 {
		t.Fatalf("days: %s", all.ToJsonString())
	}
	if o := r.OverallVolume; *o.RequestCount != 4 || *o.DeliveredCount != 4 || *o.BounceCount != 0 || *r.DailyVolumes[2].RequestCount != 4 {
		t.Errorf("overall: %s", all.ToJsonString())
	}

	req.Domain = common.StringPtr("example.com")
	news, err := c.GetStatisticsReport(req)
	must(t, err)
	if *news.Response.OverallVolume.RequestCount != 3 {
		t.Errorf("example.com: %s", news.ToJsonString())
	}
	req.ReceivingMailboxType = common.StringPtr("gmail.com")
	gmail, err := c.GetStatisticsReport(req)
	must(t, err)
	if *gmail.Response.OverallVolume.RequestCount != 1 {
		t.Errorf("example.com to gmail.com: %s", gmail.ToJsonString())
	}
	req.Domain, req.ReceivingMailboxType = nil, common.StringPtr("hotmail.com") // counted as outlook.com
	outlook, err := c.GetStatisticsReport(req)
	must(t, err)
	if *outlook.Response.OverallVolume.RequestCount != 1 {
		t.Errorf("outlook.com: %s", outlook.ToJsonString())
	}

	for _, tc := range []struct {
		edit func(*ses.GetStatisticsReportRequest)
		code string
	}{
		{func(r *ses.GetStatisticsReportRequest) { r.StartDate = nil }, "MissingParameter"},
		{func(r *ses.GetStatisticsReportRequest) { r.EndDate = common.StringPtr("2020-13-01") }, "InvalidParameterValue.WrongDate"},
		{func(r *ses.GetStatisticsReportRequest) {
			r.StartDate, r.EndDate = common.StringPtr("2026-03-02"), common.StringPtr("2026-03-01")
		}, "InvalidParameterValue.WrongDate"},
		{func(r *ses.GetStatisticsReportRequest) {
			r.StartDate, r.EndDate = common.StringPtr("2024-01-01"), common.StringPtr("2026-01-01")
		}, "FailedOperation.NotSupportDate"},
		{func(r *ses.GetStatisticsReportRequest) { r.Domain = common.StringPtr("nowhere.example.net") }, "InvalidParameterValue.NotExistDomain"},
		{func(r *ses.GetStatisticsReportRequest) { r.ReceivingMailboxType = common.StringPtr("example.net") }, "InvalidParameterValue"},
	} {
		bad := ses.NewGetStatisticsReportRequest()
		bad.StartDate, bad.EndDate = common.StringPtr("2026-03-01"), common.StringPtr("2026-03-02")
		tc.edit(bad)
		_, err := c.GetStatisticsReport(bad)
		wantCode(t, err, tc.code)
	}
}
