package mailer

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
			j := i + 1
			for end := min(len(s), i+maxLine-(len(dst)-line)); j < end && qpLiteral[s[j]]; j++ {
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
