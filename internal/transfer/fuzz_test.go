package transfer

import (
	"bytes"
	"errors"
	"testing"

	"assokit/internal/nextcloud"
)

// FuzzSplitCards cuts any address book export (seed: fixtures nextcloud-32
// 53) into cards: each ends with a line END:VCARD and stays under the
// limit, and together they are the export's start, byte for byte.
func FuzzSplitCards(f *testing.F) {
	f.Add([]byte("BEGIN:VCARD\nVERSION:4.0\nUID:a\nEND:VCARD\nBEGIN:VCARD\r\nUID:b\r\nNOTE:END:VCARD\r\nend:vcard"))
	f.Add([]byte("END:VCARDEND:VCARD\r\n\r\n"))
	f.Fuzz(func(t *testing.T, export []byte) {
		const limit = 64
		var cards [][]byte
		var offs []int64
		n, err := splitCards(bytes.NewReader(export), limit, func(off int64, b []byte) {
			cards, offs = append(cards, bytes.Clone(b)), append(offs, off)
		})
		if err != nil && !errors.Is(err, nextcloud.ErrTooLarge) {
			t.Fatal(err)
		}
		if err == nil && n != int64(len(export)) {
			t.Fatalf("read %d bytes of %d", n, len(export))
		}
		if joined := bytes.Join(cards, nil); !bytes.HasPrefix(export, joined) {
			t.Fatalf("cards %q are not the start of %q", cards, export)
		}
		var off int64
		for i, c := range cards {
			lines := bytes.Split(bytes.TrimRight(c, "\r\n"), []byte("\n"))
			if last := bytes.TrimRight(lines[len(lines)-1], "\r"); !bytes.EqualFold(last, []byte("END:VCARD")) || len(c) > limit {
				t.Fatalf("card %q does not end with a line END:VCARD, or is over the limit", c)
			}
			if offs[i] != off {
				t.Fatalf("card %d at %d, want %d", i, offs[i], off)
			}
			off += int64(len(c))
		}
	})
}
