package outgoing

import (
	"bytes"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// stdQP is the reference: mime/quotedprintable's Writer.
func stdQP(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestAppendQPMatchesStandardLibrary(t *testing.T) {
	cases := []string{"", "plain", "a=b", "trailing space \r\nnext", "tab\t\nx", "é日本", strings.Repeat("x", 200),
		strings.Repeat("y", 74) + "=z", strings.Repeat(" ", 80), "\r\r\n\n", "\r=\n", "end with space "}
	alphabet := []byte("ab .=\t\r\n\xc3\xa9\x00~")
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, c := range cases {
		if got, want := string(appendQP([]byte("prefix"), c)), "prefix"+stdQP(c); got != want {
			t.Fatalf("%q:\n got %q\nwant %q", c, got, want)
		}
	}
}

func FuzzAppendQP(f *testing.F) {
	for _, seed := range []string{"a = b \r\n", strings.Repeat("z", 100) + "\t\n", "\r\xff\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQP(nil, s)), stdQP(s); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}
