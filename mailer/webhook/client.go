package webhook

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Timeout bounds one POST, from dialling to the end of the answer.
const Timeout = 10 * time.Second

// RefusedError is a connection Sesame would not open: the receiver's
// address, once its name is resolved, is one no public receiver has.
type RefusedError struct {
	Addr netip.Addr
	Why  string
}

func (e *RefusedError) Error() string {
	return "refused to connect to " + e.Addr.String() + ", " + e.Why + " (SESAME_WEBHOOK_ALLOW opens a range on purpose)"
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	broadcast = netip.MustParseAddr("255.255.255.255")
	// IPv6 forms that carry an IPv4 address: IPv4-compatible (deprecated),
	// NAT64 and 6to4. The IPv4-mapped form is unmapped first.
	v4compat  = netip.MustParsePrefix("::/96")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// refusal says why addr may not be connected to, or "" when it may. It is
// the one rule of which addresses a webhook may reach.
func refusal(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	switch {
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsPrivate():
		return "a private address"
	case addr.IsLinkLocalUnicast(), addr.IsLinkLocalMulticast():
		return "a link-local address (cloud metadata services live there)"
	case cgnat.Contains(addr):
		return "a carrier-grade NAT address"
	case addr.IsMulticast(), addr.IsInterfaceLocalMulticast():
		return "a multicast address"
	case addr.IsUnspecified(), thisNet.Contains(addr), addr == broadcast:
		return "an unspecified or broadcast address"
	case v4compat.Contains(addr):
		return "an IPv4-compatible IPv6 address"
	case nat64.Contains(addr):
		b := addr.As16()
		if why := refusal(netip.AddrFrom4([4]byte(b[12:]))); why != "" {
			return why + " in a NAT64 address"
		}
	case sixToFour.Contains(addr):
		b := addr.As16()
		if why := refusal(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return why + " in a 6to4 address"
		}
	}
	return ""
}

// checkAddress is the dialer's check of the address it is about to
// connect to, after name resolution: what a name resolves to is only
// known then, and may differ from one connection to the next.
func checkAddress(address string, allow []netip.Prefix) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return err
	}
	addr := ap.Addr().Unmap().WithZone("")
	for _, p := range allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if why := refusal(addr); why != "" {
		return &RefusedError{Addr: addr, Why: why}
	}
	return nil
}

// NewClient is the HTTP client webhooks are posted with: every connection
// is checked at dial time against the address rule (allow opens named
// ranges), no proxy from the environment is used (it would connect in
// Sesame's stead, unchecked), redirects are not followed, and a request
// ends after Timeout.
func NewClient(allow []netip.Prefix, maxConnsPerHost int) *http.Client {
	dialer := &net.Dialer{Timeout: Timeout, KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error { return checkAddress(address, allow) }}
	transport := &http.Transport{
		DialContext:         dialer.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: maxConnsPerHost,
		MaxConnsPerHost:     maxConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: Timeout,
	}
	return &http.Client{Transport: transport, Timeout: Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// refused reports a post that failed on the address rule.
func refused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}
