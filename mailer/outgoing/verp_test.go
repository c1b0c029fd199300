package outgoing_test

import (
	"testing"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/queue"
)

func TestReturnPathAndMessageIDLeadBackToTheMessage(t *testing.T) {
	uid := queue.NewMessageUID()
	want := queue.MessageRef{UID: uid, Domain: "example.test"}
	if ref, ok := outgoing.ParseReturnPath("<" + outgoing.EnvelopeFrom(uid, "example.test") + ">"); !ok || ref != want {
		t.Errorf("return path: %+v %v", ref, ok)
	}
	if ref, ok := outgoing.ParseMessageID(" <" + outgoing.MessageID(uid, "Example.TEST") + ">"); !ok || ref != want {
		t.Errorf("Message-ID: %+v %v", ref, ok)
	}
	for _, id := range []string{"", "<>", "<@example.test>", "<" + uid + "@>", "<abc@example.test>", "<" + uid + "x@example.test>", uid} {
		if ref, ok := outgoing.ParseMessageID(id); ok {
			t.Errorf("%q read as %+v", id, ref)
		}
	}
}

func TestParseBounceAddress(t *testing.T) {
	uid := queue.NewMessageUID()
	for addr, want := range map[string]outgoing.BounceAddress{
		"bounce+" + uid + "@bounce.example.test": {Local: "bounce+" + uid, Domain: "example.test", UID: uid},
		"Bounce+" + uid + "@BOUNCE.Example.Test": {Local: "bounce+" + uid, Domain: "example.test", UID: uid},
		"fbl@bounce.example.test":                {Local: "fbl", Domain: "example.test"},
		"bounce+short@bounce.example.test":       {Local: "bounce+short", Domain: "example.test"},
		"a@b@bounce.example.test":                {Local: "a@b", Domain: "example.test"},
	} {
		got, ok := outgoing.ParseBounceAddress(addr)
		if !ok || got != want {
			t.Errorf("%s: %+v %v", addr, got, ok)
		}
		if _, isVERP := got.Message(); isVERP != (want.UID != "") {
			t.Errorf("%s: VERP %v", addr, isVERP)
		}
	}
	for _, addr := range []string{"", "fbl", "@bounce.example.test", "bounce+" + uid + "@example.test", "fbl@bounce.", "fbl@mybounce.example.test"} {
		if got, ok := outgoing.ParseBounceAddress(addr); ok {
			t.Errorf("%q read as %+v", addr, got)
		}
	}
}
