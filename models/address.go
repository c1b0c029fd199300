package models

import (
	"errors"
	"net/mail"
	"strings"

	"golang.org/x/net/idna"
)

// MaxEmailLength is RFC 5321's limit on a forward path.
const MaxEmailLength = 254

var (
	ErrEmailEmpty   = errors.New("enter an email address")
	ErrEmailTooLong = errors.New("is longer than 254 characters")
	errEmailSyntax  = errors.New("is not a valid email address")
	errEmailDomain  = errors.New("has an invalid domain")
)

// NormalizeEmail checks the syntax of a bare address (net/mail, no display
// name) and returns it with the domain lowercased and converted to punycode.
// The local part keeps its case: RFC 5321 leaves its meaning to the receiver.
func NormalizeEmail(raw string) (string, error) {
	return NormalizeEmailWith(raw, NormalizeDomain)
}

// normalizeEmail is NormalizeEmail with the domain step supplied, so a bulk
// import can remember the domains it has already converted.
func NormalizeEmailWith(raw string, normalizeDomain func(string) (string, error)) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", ErrEmailEmpty
	}
	if len(s) > MaxEmailLength {
		return "", ErrEmailTooLong
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", errEmailSyntax
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 || strings.ContainsAny(local, " \t\r\n") {
		return "", errEmailSyntax
	}
	ascii, err := normalizeDomain(domain)
	if err != nil {
		return "", errEmailDomain
	}
	out := local + "@" + ascii
	if len(out) > MaxEmailLength {
		return "", ErrEmailTooLong
	}
	return out, nil
}

// NormalizeDomain converts a host name to lowercase punycode and checks each
// label (letters, digits and hyphens, 1 to 63 bytes, 253 in all).
func NormalizeDomain(raw string) (string, error) {
	d := strings.TrimSuffix(strings.TrimSpace(raw), ".")
	if d == "" {
		return "", errors.New("enter a domain name")
	}
	ascii, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", errors.New("is not a valid domain name")
	}
	ascii = strings.ToLower(ascii)
	if len(ascii) > 253 {
		return "", errors.New("is longer than 253 characters")
	}
	for _, label := range strings.Split(ascii, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", errors.New("is not a valid domain name")
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", errors.New("is not a valid domain name")
			}
		}
	}
	return ascii, nil
}

// DomainOf is the domain of an address: what follows its last @. SQL
// statements over many addresses use db.DomainOfSQL, held to this by a
// test.
func DomainOf(email string) string { return email[strings.LastIndexByte(email, '@')+1:] }

// ParseMailbox reads "addr" or "Name <addr>" (the name may be RFC 2047
// encoded, as mail libraries write it) and returns the address normalised
// and the name.
func ParseMailbox(raw string) (addr, name string, err error) {
	raw = strings.TrimSpace(raw)
	if a, perr := mail.ParseAddress(raw); perr == nil {
		addr, name = a.Address, a.Name
	} else {
		addr = raw
	}
	addr, err = NormalizeEmail(addr)
	return addr, strings.TrimSpace(name), err
}

// ReplyTo reads Reply-To addresses, "addr" or "Name <addr>" separated by
// commas, and writes them as the header's value; a malformed one is a
// ValidationError on reply_to.
func ReplyTo(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", nil
	}
	list, err := mail.ParseAddressList(raw)
	if err != nil || strings.ContainsAny(raw, "\r\n") {
		return "", Invalid("reply_to", "Reply-To must be email addresses, separated by commas.")
	}
	out := make([]string, len(list))
	for i, a := range list {
		addr, err := NormalizeEmail(a.Address)
		if err != nil {
			return "", Invalid("reply_to", "Reply-To: "+a.Address+" "+err.Error()+".")
		}
		out[i] = (&mail.Address{Name: a.Name, Address: addr}).String()
	}
	return strings.Join(out, ", "), nil
}

// AddressList writes addresses as a To or Cc header's value.
func AddressList(addrs []string) string {
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = (&mail.Address{Address: a}).String()
	}
	return strings.Join(list, ", ")
}
