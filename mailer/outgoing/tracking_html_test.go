package outgoing

import (
	"strings"
	"testing"
)

func TestRewriteLinks(t *testing.T) {
	wrap := func(u string) string { return "https://s.test/t/c/" + strings.ToUpper(u[len(u)-1:]) }
	for _, tc := range []struct{ in, want string }{
		{`<a href="https://x.test/a">A</a>`, `<a href="https://s.test/t/c/A">A</a>`},
		{`<A HREF='http://x.test/b' class=y>B</A>`, `<A HREF='https://s.test/t/c/B' class=y>B</A>`},
		{`<a class="x" href=https://x.test/c>C</a>`, `<a class="x" href=https://s.test/t/c/C>C</a>`},
		{`<a href="mailto:a@b.test">m</a><a href="#top">t</a><a href="tel:1">t</a>`, `<a href="mailto:a@b.test">m</a><a href="#top">t</a><a href="tel:1">t</a>`},
		{`<a data-href="https://x.test/d" href="https://x.test/e">`, `<a data-href="https://x.test/d" href="https://s.test/t/c/E">`},
		{`<abbr href="https://x.test/f">`, `<abbr href="https://x.test/f">`},
		{`<a title="1 > 0" href="https://x.test/g">`, `<a title="1 > 0" href="https://s.test/t/c/G">`},
		{`<a href="https://s.test/u/keep">`, `<a href="https://s.test/u/keep">`},
		{`<p>no links</p><a href="https://x.test/h"`, `<p>no links</p><a href="https://x.test/h"`}, // unclosed tag
		{`<a href="https://x.test/?a=1&amp;b=2">`, `<a href="https://s.test/t/c/2">`},
	} {
		if got := rewriteLinks(tc.in, wrap, "https://s.test/u/keep"); got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	// The unescaped URL is what gets wrapped.
	var seen string
	rewriteLinks(`<a href="https://x.test/?a=1&amp;b=2">`, func(u string) string { seen = u; return u }, "")
	if seen != "https://x.test/?a=1&b=2" {
		t.Errorf("wrapped %q", seen)
	}
}

func FuzzRewriteLinks(f *testing.F) {
	f.Add(`<a href="https://x.test/a">A</a>`)
	f.Add(`<a href='http://x'><a href=x`)
	f.Add(`<<a href="">`)
	f.Fuzz(func(t *testing.T, doc string) {
		out := rewriteLinks(doc, func(u string) string { return "W" }, "")
		if !strings.Contains(doc, "http") && out != doc {
			t.Errorf("changed a document without links: %q → %q", doc, out)
		}
	})
}

func TestTrackingLinks(t *testing.T) {
	l := NewLinks("https://s.test", []byte("key"))
	u := l.ClickURL("uid1", "https://x.test/a b?c=d")
	tok := strings.TrimPrefix(u, "https://s.test/t/c/")
	uid, target, ok := l.ParseClick(tok)
	if !ok || uid != "uid1" || target != "https://x.test/a b?c=d" {
		t.Fatalf("click: %v %q %q", ok, uid, target)
	}
	// Tampering with either part, or using a token of another kind, fails.
	for _, bad := range []string{tok[:len(tok)-2] + "AA", "x" + tok, strings.TrimPrefix(l.UnsubscribeURL("uid1"), "https://s.test/u/"), ""} {
		if _, _, ok := l.ParseClick(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
	o := strings.TrimPrefix(l.OpenURL("uid2"), "https://s.test/t/o/")
	if uid, ok := l.ParseOpen(o); !ok || uid != "uid2" {
		t.Errorf("open: %v %q", ok, uid)
	}
	if _, ok := NewLinks("https://s.test", []byte("other")).ParseOpen(o); ok {
		t.Error("a token verified under another key")
	}
}

// BenchmarkParseOpen checks an open token, as the pixel does per request.
func BenchmarkParseOpen(b *testing.B) {
	l := NewLinks("https://s.test", []byte("key"))
	token := strings.TrimPrefix(l.OpenURL("0192f1d2-7c3e-7a4b-9d2e-5f6a7b8c9d0e"), "https://s.test/t/o/")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := l.ParseOpen(token); !ok {
			b.Fatal("token refused")
		}
	}
}
