package models

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CheckDisplayName checks a From display name given with a send from own
// (as a sender address's is checked) and returns it trimmed.
func CheckDisplayName(name, own string) (string, error) {
	verr := &ValidationError{}
	name = ValidateDisplayName(name, own, verr)
	return name, verr.OrNil()
}

// validateDisplayName keeps display names safe in a From header: no colon
// (it would end the header name in naive parsers), no control characters
// (header injection, and a NUL hides what follows in some clients), no
// angle brackets, at most 100 characters, and no address but own, the
// sender's, when it is known: "ceo@bank.example" <news@yourdomain> is the
// classic phishing shape, since many clients show only the name.
func ValidateDisplayName(name, own string, verr *ValidationError) string {
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name):
		verr.Add("display_name", "The display name is not valid text.")
	case utf8.RuneCountInString(name) > 100:
		verr.Add("display_name", "Use at most 100 characters.")
	case strings.ContainsAny(name, ":<>"):
		verr.Add("display_name", "A display name cannot contain :, < or >.")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		verr.Add("display_name", "A display name cannot contain line breaks or control characters.")
	case own != "" && ShowsOtherAddress(name, own):
		verr.Add("display_name", "A display name cannot show an email address other than the sender's own ("+own+").")
	}
	return name
}

// showsOtherAddress reports whether a display name holds something a reader
// would take for an email address other than own: look-alike at signs and
// spaces around one count too, but a domain needs a dot ("Tom @ Acme" is a
// name).
func ShowsOtherAddress(name, own string) bool {
	name = atSign.ReplaceAllString(name, "@")
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(`"'()[],;`, r) }) {
		addr, err := NormalizeEmail(strings.Trim(word, "."))
		if err == nil && strings.Contains(addr[strings.LastIndexByte(addr, '@'):], ".") && !strings.EqualFold(addr, own) {
			return true
		}
	}
	return false
}

// atSign is an at sign or a look-alike, with the spaces around it.
var atSign = regexp.MustCompile(`\s*[@\x{FF20}\x{FE6B}]\s*`)
