package outgoing

// appendQP appends s encoded as quoted-printable (RFC 2045 6.7) to dst,
// byte for byte what mime/quotedprintable's Writer produces (line breaks as
// CRLF, soft breaks before 76 columns, '=' and bytes outside printable
// ASCII escaped, spaces before a line end escaped). That Writer copies each
// byte through a line buffer and was a fifth of the engine's CPU; this
// copies runs of plain bytes at once into the message's own buffer.
func appendQP(dst []byte, s string) []byte {
	const maxLine = 75 // characters before the soft break's '='
	line := len(dst)   // where the current output line starts
	cr := false        // the last line end was a CR: a LF after it adds nothing
	for i := 0; i < len(s); {
		b := s[i]
		switch {
		case b == '\r' || b == '\n':
			i++
			if cr && b == '\n' {
				cr = false
				continue
			}
			cr = b == '\r'
			dst = escapeTrailingSpace(dst, line)
			dst = append(dst, '\r', '\n')
			line = len(dst)
		case qpLiteral[b]:
			if len(dst)-line == maxLine {
				dst = append(dst, '=', '\r', '\n')
				line = len(dst)
			}
			end := min(len(s), i+maxLine-(len(dst)-line))
			j := i + 1
			for j+8 <= end && plainWord(s[j:j+8]) {
				j += 8
			}
			for ; j < end && qpLiteral[s[j]]; j++ {
			}
			dst = append(dst, s[i:j]...)
			i = j
			cr = false
		default:
			dst = appendEscaped(dst, &line, b)
			i++
		}
	}
	return escapeTrailingSpace(dst, line)
}

// plainWord says whether the eight bytes of w are all printable ASCII
// other than '=' (so carried as they are), testing them at once: a text's
// long plain stretches are crossed a word at a time. A tab, which is
// plain too, makes it say no; the byte loop after it takes the tab.
func plainWord(w string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	v := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
	below := (v - ones*0x20) & ^v & highs       // some byte < 0x20
	above := (v + ones*(0x7f-0x7e) | v) & highs // some byte > 0x7e
	eq := v ^ ones*'='
	equals := (eq - ones) & ^eq & highs // some byte is '='
	return below|above|equals == 0
}

// appendEscaped appends b as =XX, after a soft break when it does not fit.
func appendEscaped(dst []byte, line *int, b byte) []byte {
	const hex = "0123456789ABCDEF"
	if len(dst)-*line > 72 {
		dst = append(dst, '=', '\r', '\n')
		*line = len(dst)
	}
	return append(dst, '=', hex[b>>4], hex[b&0x0f])
}

// escapeTrailingSpace escapes a space or tab ending the line that starts at
// line: a receiver may strip it (RFC 2045 6.7 rule 3).
func escapeTrailingSpace(dst []byte, line int) []byte {
	if len(dst) == line {
		return dst
	}
	if b := dst[len(dst)-1]; b == ' ' || b == '\t' {
		return appendEscaped(dst[:len(dst)-1], &line, b)
	}
	return dst
}

// qpLiteral are the bytes quoted-printable carries as they are.
var qpLiteral = func() (t [256]bool) {
	for b := '!'; b <= '~'; b++ {
		t[b] = b != '='
	}
	t[' '], t['\t'] = true, true
	return t
}()
