package webhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// TestAddressRuleRefusesEveryPrivateForm: each form of an address no
// public receiver has is refused, public ones pass, and the allow list
// opens exactly its ranges.
func TestAddressRuleRefusesEveryPrivateForm(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.8.9.10", "::1", // loopback
		"10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.1", "fd00::1", // private
		"169.254.169.254", "169.254.0.1", "fe80::1", // link-local, cloud metadata
		"100.64.0.1", "100.127.255.254", // CGNAT
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", // multicast
		"0.0.0.0", "::", "0.1.2.3", "255.255.255.255", // unspecified, this network, broadcast
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::ffff:100.64.0.1", // IPv4-mapped
		"::127.0.0.1",                          // IPv4-compatible
		"64:ff9b::a9fe:a9fe", "2002:7f00:1::1", // NAT64 and 6to4 of private ones
	}
	for _, a := range refused {
		if err := checkAddress(netip.AddrPortFrom(netip.MustParseAddr(a), 443).String(), nil); err == nil {
			t.Errorf("%s was not refused", a)
		}
	}
	for _, a := range []string{"93.184.215.14", "1.1.1.1", "2606:4700::1111", "172.32.0.1", "100.128.0.1", "64:ff9b::808:808"} {
		if err := checkAddress(netip.AddrPortFrom(netip.MustParseAddr(a), 443).String(), nil); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
	allow := []netip.Prefix{netip.MustParsePrefix("10.0.5.0/24")}
	if err := checkAddress("10.0.5.7:80", allow); err != nil {
		t.Errorf("allowed range refused: %v", err)
	}
	if err := checkAddress("10.0.6.7:80", allow); err == nil {
		t.Error("a range beside the allowed one was not refused")
	}
	if err := checkAddress("[::ffff:10.0.5.7]:80", allow); err != nil {
		t.Errorf("the mapped form of an allowed address refused: %v", err)
	}
}

// TestClientChecksAtDialTime: a receiver on 127.0.0.1, by address or by a
// name that resolves there, is refused until SESAME_WEBHOOK_ALLOW names it;
// redirects are not followed.
func TestClientChecksAtDialTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	post := func(c *http.Client, url string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader("{}"))
		return c.Do(req)
	}
	closed := NewClient(nil, 4)
	for _, url := range []string{srv.URL, "http://localhost" + port} {
		_, err := post(closed, url)
		var r *RefusedError
		if !errors.As(err, &r) {
			t.Errorf("%s: want a refusal, got %v", url, err)
		}
	}
	open := NewClient([]netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, 4)
	resp, err := post(open, srv.URL)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("with 127.0.0.1/32 allowed: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = post(open, srv.URL+"/redirect")
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestSignature matches a signature computed by hand:
// printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
func TestSignature(t *testing.T) {
	got := Signature([][]byte{[]byte("whsec_test")}, 1700000000, `{"a":1}`)
	want := "t=1700000000,v1=" + wantHMAC
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	two := Signature([][]byte{[]byte("whsec_test"), []byte("old")}, 1700000000, `{"a":1}`)
	if !strings.HasPrefix(two, want+",v1=") {
		t.Errorf("during a rotation: %s", two)
	}
}

const wantHMAC = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
