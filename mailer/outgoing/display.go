package outgoing

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// HeaderField is one decoded header line.
type HeaderField struct {
	Name, Value string
}

// ParsedMessage is a message taken apart for the console to show.
type ParsedMessage struct {
	Headers     []HeaderField
	Subject     string
	HTML        string
	Text        string
	Attachments []string
}

// maxDisplayPart bounds what is read of one part for display.
const maxDisplayPart = 2 << 20

// ParseMessage reads a raw message (RFC 5322 with MIME) into its decoded
// headers, first HTML and text parts, and attachment names. A part in an
// unknown charset is shown as it is rather than failing the whole message.
func ParseMessage(raw []byte) (*ParsedMessage, error) {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, err
	}
	p := &ParsedMessage{}
	dec := mime.WordDecoder{}
	fields := mr.Header.Fields()
	for fields.Next() {
		v, derr := dec.DecodeHeader(fields.Value())
		if derr != nil {
			v = fields.Value()
		}
		p.Headers = append(p.Headers, HeaderField{Name: fields.Key(), Value: v})
	}
	p.Subject, _ = mr.Header.Subject()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return p, nil // show what could be read
		}
		switch h := part.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := h.ContentType()
			body, _ := io.ReadAll(io.LimitReader(part.Body, maxDisplayPart))
			switch {
			case ct == "text/html" && p.HTML == "":
				p.HTML = string(body)
			case strings.HasPrefix(ct, "text/") && ct != "text/html" && p.Text == "":
				p.Text = string(body)
			}
		case *mail.AttachmentHeader:
			name, _ := h.Filename()
			if name == "" {
				name = "(unnamed attachment)"
			}
			p.Attachments = append(p.Attachments, name)
		}
	}
	return p, nil
}
