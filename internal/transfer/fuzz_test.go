package transfer

import (
	"bytes"
	"testing"
)

// FuzzSplitCards cuts any address book export (seed: fixtures nextcloud-32
// 53) into cards: each ends its card, and together they are the export's
// start, byte for byte.
func FuzzSplitCards(f *testing.F) {
	f.Add([]byte("BEGIN:VCARD\nVERSION:4.0\nUID:a\nEND:VCARD\nBEGIN:VCARD\r\nUID:b\r\nEND:VCARD"))
	f.Add([]byte("END:VCARDEND:VCARD\r\n\r\n"))
	f.Fuzz(func(t *testing.T, export []byte) {
		cards := splitCards(export)
		if joined := bytes.Join(cards, nil); !bytes.HasPrefix(export, joined) {
			t.Fatalf("cards %q are not the start of %q", cards, export)
		}
		for _, c := range cards {
			if !bytes.HasSuffix(bytes.TrimRight(c, "\r\n"), []byte("END:VCARD")) {
				t.Fatalf("card %q does not end with END:VCARD", c)
			}
		}
	})
}
