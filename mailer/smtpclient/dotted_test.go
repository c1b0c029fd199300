package smtpclient

import "testing"

func TestAppendDotted(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
		{".hidden\r\n..two\r\nmid.dot\r\n", "..hidden\r\n...two\r\nmid.dot\r\n.\r\n"},
		{"bare\nlf\n.x\n", "bare\r\nlf\r\n..x\r\n.\r\n"},
		{"no end", "no end\r\n.\r\n"},
		{".", "..\r\n.\r\n"},
		{"", ".\r\n"},
		{"cr\ronly\r\n", "cr\ronly\r\n.\r\n"},
	} {
		if got := string(appendDotted(nil, []byte(c.in))); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCRLFLines(t *testing.T) {
	for in, want := range map[string]bool{
		"a\r\nb\r\n": true, "\r\n": true, "a\r\n\r\nb\r\n": true,
		"": false, "\n": false, "a\nb\r\n": false, "a\r\nb\n\r\n": false, "a\r\nb": false, "a\r\n\n": false, "cr\ronly\r\n": true,
	} {
		if got := crlfLines([]byte(in)); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
