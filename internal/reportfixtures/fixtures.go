// Package reportfixtures holds reports as real mail systems send them
// (Postfix, Exchange Online, Yahoo's and Microsoft's feedback loops), with
// the returned message's uid, sending domain and recipient left as
// {{uid}}, {{domain}} and {{rcpt}} for a test to fill in.
package reportfixtures

import (
	"embed"
	"strings"
	"testing"
)

//go:embed *.eml
var files embed.FS

// Names lists every fixture.
func Names() []string {
	entries, _ := files.ReadDir(".")
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Load returns a fixture about the message uid sent from domain to rcpt.
func Load(t testing.TB, name, uid, domain, rcpt string) []byte {
	t.Helper()
	b, err := files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer("{{uid}}", uid, "{{domain}}", domain, "{{rcpt}}", rcpt).Replace(string(b)))
}
