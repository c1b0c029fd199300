package wire_test

import (
	"net/url"
	"testing"

	"github.com/sesame-email/sesame/handlers/api/wire"
)

// Flattened parameters become the JSON the action takes: lists in index
// order, numbers where the shape has numbers, nested fields, unknown ones
// kept for the strict decoder to name; common parameters are left out and
// malformed indexes refused.
func TestFlatJSON(t *testing.T) {
	for _, tc := range []struct {
		params url.Values
		want   string
		bad    bool
	}{
		{url.Values{"Destination.1": {"b@x.org"}, "Destination.0": {"a@x.org"}, "Template.TemplateID": {"7"}, "Template.TemplateData": {`{"a":"1"}`},
			"Action": {"SendEmail"}, "Nonce": {"1"}, "Signature": {"x"}},
			`{"Destination":["a@x.org","b@x.org"],"Template":{"TemplateData":"{\"a\":\"1\"}","TemplateID":7}}`, false},
		{url.Values{"Attachments.0.FileName": {"a.txt"}, "Attachments.0.Content": {"YQ=="}, "TriggerType": {"1"}},
			`{"Attachments":[{"Content":"YQ==","FileName":"a.txt"}],"TriggerType":1}`, false},
		{url.Values{"TriggerType": {"soon"}, "Mystery": {"x"}}, `{"Mystery":"x","TriggerType":"soon"}`, false},
		{url.Values{"Destination.x": {"a@x.org"}}, "", true},
		{url.Values{"Destination.-1": {"a@x.org"}}, "", true},
		{url.Values{"Destination.99999999999": {"a@x.org"}}, "", true},
		{url.Values{"Destination": {"a@x.org"}, "Destination.0": {"b@x.org"}}, `{"Destination":["b@x.org"]}`, false},
		{url.Values{"Template.TemplateID.0.x": {"1"}}, `{"Template":{"TemplateID":{"0":{"x":"1"}}}}`, false},
	} {
		got, err := wire.FlatJSON(tc.params, &wire.SendEmailRequest{})
		if tc.bad {
			if err == nil {
				t.Errorf("%v: want an error, got %s", tc.params, got)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%v:\n got %s %v\nwant %s", tc.params, got, err, tc.want)
		}
	}
}
