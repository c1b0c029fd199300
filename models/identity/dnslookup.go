package identity

import (
	"context"
	"errors"
	"net"
)

// DNSLookup is the DNS the identity checks (and MX delivery) ask. The mailer
// implements it over SESAME_DNS_RESOLVER or the system's resolvers.
type DNSLookup interface {
	// LookupTXT returns each TXT record with its strings joined.
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	// LookupIP returns the A and AAAA addresses of host.
	LookupIP(ctx context.Context, host string) ([]net.IP, error)
}

// ErrNoRecords is a definite answer: the name does not exist or has no
// record of the asked type.
var ErrNoRecords = errors.New("no such DNS record")

// DNSLookupError is an indefinite answer (timeout, SERVFAIL, refused): the
// record could not be checked, which says nothing about whether it is right.
type DNSLookupError struct {
	Name   string
	Reason string
}

func (e *DNSLookupError) Error() string { return "DNS lookup of " + e.Name + " failed: " + e.Reason }
