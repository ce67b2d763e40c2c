package transfer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"assokit/internal/nextcloud"
)

// sourceObjects are the objects of a source collection with their ETags.
// Their bytes are in Data, or read back when the copy needs them: from the
// spooled export (address books), else one by one from Nextcloud.
type sourceObjects struct {
	list       []nextcloud.Object
	spool      *spool // address books: the export, in a private temporary file
	src        *nextcloud.Client
	kind, coll string
}

// bytes returns o's bytes as stored.
func (so *sourceObjects) bytes(ctx context.Context, o nextcloud.Object) ([]byte, error) {
	if o.Data != nil {
		return o.Data, nil
	}
	if so.spool != nil {
		if b, ok, err := so.spool.card(o.ETag); err != nil || ok {
			return b, err
		}
	}
	return readOne(ctx, so.src, so.kind, so.coll, o.Name, o.ETag)
}

// Close removes the spooled export, if any.
func (so *sourceObjects) Close() error {
	if so == nil || so.spool == nil {
		return nil
	}
	return so.spool.Close()
}

// spool is an address book's export kept in a private temporary file
// (0600) while a transfer copies it: read from Nextcloud as a stream, cut
// into cards as it comes, saved to the target's files as a stream, its
// cards read back one at a time. An export is never held whole in memory.
type spool struct {
	f     *os.File
	size  int64
	cards map[string]span // by MD5, which is Nextcloud's ETag of a card
}

// span is where a card lies in the spooled export.
type span struct{ off, n int64 }

// spoolExport reads the export of the address book uri of src into a
// spool. A card over nextcloud.ObjectLimit fails it with ErrTooLarge,
// naming the card.
func spoolExport(ctx context.Context, src *nextcloud.Client, uri string) (*spool, error) {
	body, err := src.ExportAddressBook(ctx, uri)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	f, err := os.CreateTemp("", "assokit-export-*.vcf")
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", uri, err)
	}
	s := &spool{f: f, cards: map[string]span{}}
	s.size, err = splitCards(io.TeeReader(body, f), nextcloud.ObjectLimit, func(off int64, card []byte) {
		s.cards[md5hex(card)] = span{off, int64(len(card))}
	})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("export %s: %w", uri, err)
	}
	return s, nil
}

// card returns the card whose MD5 is etag, and whether the export has it.
func (s *spool) card(etag string) ([]byte, bool, error) {
	sp, ok := s.cards[etag]
	if !ok {
		return nil, false, nil
	}
	b := make([]byte, sp.n)
	if _, err := s.f.ReadAt(b, sp.off); err != nil {
		return nil, false, fmt.Errorf("transfer: read back the export: %w", err)
	}
	return b, true, nil
}

// reader returns the whole export from its start.
func (s *spool) reader() io.Reader { return io.NewSectionReader(s.f, 0, s.size) }

// Close removes the temporary file.
func (s *spool) Close() error {
	s.f.Close()
	return os.Remove(s.f.Name())
}

// splitCards reads an address book export from r to its end and calls card
// with the offset and the bytes (line ends included) of each card: the
// lines up to a line END:VCARD. What follows the last card is no card. A
// card over limit bytes fails with nextcloud.ErrTooLarge, naming its
// number. It returns the number of bytes read.
func splitCards(r io.Reader, limit int, card func(off int64, b []byte)) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var cur []byte
	var off, read int64
	lineStart, n := 0, 1
	for {
		chunk, err := br.ReadSlice('\n')
		cur = append(cur, chunk...)
		read += int64(len(chunk))
		if len(cur) > limit {
			return read, fmt.Errorf("card %d: %w (over %d MiB)", n, nextcloud.ErrTooLarge, limit>>20)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // the line goes on
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return read, err
		}
		if bytes.EqualFold(bytes.TrimRight(cur[lineStart:], "\r\n"), []byte("END:VCARD")) {
			card(off, cur)
			off += int64(len(cur))
			cur, lineStart = cur[:0], 0
			n++
		} else {
			lineStart = len(cur)
		}
		if err != nil {
			return read, nil
		}
	}
}
