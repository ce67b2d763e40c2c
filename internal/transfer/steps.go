package transfer

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"assokit/internal/errcode"
	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/store"
)

var (
	errMismatch     = errcode.New("transfer_mismatch", "transfer: the copy differs from the source")
	errFilesFailed  = errcode.New("transfer_files_failed", "transfer: Nextcloud reported that the files transfer failed")
	errFilesNoSpace = errcode.New("transfer_files_no_space", "transfer: Nextcloud reported that the files transfer failed, likely for lack of space at the target")
	errFilesTimeout = errcode.New("transfer_files_timeout", "transfer: Nextcloud's background jobs did not move the files in time; the request was withdrawn")
	errSkipped      = errcode.New("transfer_skipped", "transfer: skipped because an earlier item failed")
	errNoRequest    = errcode.New("transfer_files_no_request", "transfer: the files transfer request did not reach the recipient")
)

// What an item reports when Nextcloud refuses it, or when it failed for any
// other reason: codes for the page, never returned as errors.
var (
	errSameUID   = errcode.New("transfer_same_uid", "transfer: the target already holds an object with this UID")
	errQuota     = errcode.New("transfer_quota", "transfer: not enough space for the target")
	errForbidden = errcode.New("transfer_forbidden", "transfer: Nextcloud refused the move")
	errGone      = errcode.New("transfer_not_found", "transfer: the item disappeared")
	errFailed    = errcode.New("transfer_error", "transfer: the item could not move")
)

// ownErrors are the errors of a transfer or of an item that carry their own
// code, in the order they are looked for.
var ownErrors = []*errcode.Error{ErrSameAccount, ErrUnknownAccount, ErrTargetDisabled, ErrSourceDisabled,
	errMismatch, errFilesFailed, errFilesNoSpace, errFilesTimeout, errNoRequest, errSkipped, errBoardNotOwned, errNoModerator,
	errDeckDisabled, errTalkDisabled}

// ErrorCode is the stable code the pages translate for an error of a
// transfer or of one of its items ("" for nil).
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	for _, e := range ownErrors {
		if errors.Is(err, e) {
			return e.Code()
		}
	}
	var ne *nextcloud.Error
	switch {
	case errors.Is(err, nextcloud.ErrLastModerator):
		return errNoModerator.Code()
	case errors.Is(err, nextcloud.ErrSameUID):
		return errSameUID.Code()
	case errors.As(err, &ne) && ne.StatusCode == http.StatusInsufficientStorage:
		return errQuota.Code()
	case errors.Is(err, nextcloud.ErrForbidden):
		return errForbidden.Code()
	case errors.Is(err, nextcloud.ErrNotFound):
		return errGone.Code()
	case errors.Is(err, nextcloud.ErrUnreachable):
		return nextcloud.ErrUnreachable.Code()
	case errors.Is(err, jobs.ErrPanicked):
		return jobs.ErrPanicked.Code()
	case errors.Is(err, nextcloud.ErrTooLarge):
		return nextcloud.ErrTooLarge.Code()
	}
	return errFailed.Code()
}

// Steps of a files item, in order.
const (
	stepRequested = "requested" // the source asked, the id is known
	stepAccepted  = "accepted"  // the target accepted; Nextcloud's cron moves the files
	stepMoved     = "moved"
)

// filesStart requests the files transfer as the source and accepts it as
// the target. A request sent before a crash, whose id was not journaled, is
// found again in the target's notifications rather than sent twice.
func (r *run) filesStart(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "files" || it.Step == stepAccepted || it.Step == stepMoved {
		return nil
	}
	d := r.data(it)
	if it.Step == "" {
		id, err := r.pendingRequest(ctx, it.Ref)
		if err != nil {
			return err
		}
		if id == "" {
			if err := r.s.nc.As(r.t.Source).RequestTransfer(ctx, it.Ref, r.t.Target); err != nil {
				return err
			}
			for range 5 {
				if id, err = r.pendingRequest(ctx, it.Ref); err != nil || id != "" {
					break
				}
				if err := sleep(ctx, 200*time.Millisecond); err != nil {
					return err
				}
			}
			if err != nil {
				return err
			}
			if id == "" {
				return errNoRequest
			}
		}
		d.FilesID = id
		if d.Before, err = r.holding(ctx, it.Ref); err != nil {
			return err
		}
		d.BeforeRead = true
		if err := r.save(ctx, it, stepRequested, "running", &d); err != nil {
			return err
		}
	}
	if !d.BeforeRead { // journaled before the step above read it
		before, err := r.holding(ctx, it.Ref)
		if err != nil {
			return err
		}
		d.Before, d.BeforeRead = before, true
	}
	err := r.s.nc.As(r.t.Target).AcceptTransfer(ctx, d.FilesID)
	if err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
		return err // 404: accepted before a crash, and maybe already moved
	}
	d.WaitSince = time.Now().Unix()
	return r.save(ctx, it, stepAccepted, "waiting", &d)
}

// pendingRequest returns the id of the source's request for p waiting in
// the target's notifications, "" if there is none.
func (r *run) pendingRequest(ctx context.Context, p string) (string, error) {
	notes, err := r.s.nc.As(r.t.Target).Notifications(ctx)
	if err != nil {
		return "", err
	}
	node := path.Base(p)
	if p == "/" {
		node = "files"
	}
	for _, n := range notes {
		if n.IsTransferRequest() && n.ParamUser == r.t.Source && n.ParamPath == node {
			return n.ObjectID, nil
		}
	}
	return "", nil
}

// filesWait looks once for the files app's "done" or "failed"
// notification of the transfer, or for the files to have left the source.
// While neither, it returns errWaiting so that the run gives its worker
// back; past the deadline the item fails. A failure is told as likely for
// lack of space when the files were bigger than the target's free space at
// the start (the notification gives no reason, fixtures 389–391).
func (r *run) filesWait(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "files" || it.Step != stepAccepted {
		return nil
	}
	d := r.data(it)
	outcome, err := r.filesOutcome(ctx, it.Ref, d)
	if err != nil {
		return err
	}
	switch outcome {
	case stepMoved:
		return r.filesMoved(ctx, it, d)
	case "failed":
		if d.TooBig {
			return errFilesNoSpace
		}
		return errFilesFailed
	}
	if time.Now().After(time.Unix(d.WaitSince, 0).Add(r.s.opt.FilesWait)) {
		return r.filesGiveUp(ctx, it, d)
	}
	return errWaiting
}

// filesGiveUp ends a files transfer that Nextcloud's background jobs did
// not run in time: the target rejects it, which deletes Nextcloud's
// request, so that its job can no longer move the files once AssoKit has
// said they stayed (TransferOwnershipController::reject deletes the row the
// job reads). A 404 means the job took it meanwhile: its outcome is read
// once more.
func (r *run) filesGiveUp(ctx context.Context, it *store.TransferItem, d itemData) error {
	err := r.s.nc.As(r.t.Target).RejectTransfer(ctx, d.FilesID)
	if err == nil {
		return errFilesTimeout
	}
	if !errors.Is(err, nextcloud.ErrNotFound) {
		return err
	}
	outcome, err := r.filesOutcome(ctx, it.Ref, d)
	if err != nil {
		return err
	}
	if outcome != stepMoved {
		return errFilesTimeout
	}
	return r.filesMoved(ctx, it, d)
}

// filesMoved journals a files item as moved, with the folder the files
// landed in.
func (r *run) filesMoved(ctx context.Context, it *store.TransferItem, d itemData) error {
	var err error
	if d.Folder, err = r.landedIn(ctx, it.Ref, d.Before); err != nil {
		return err
	}
	return r.save(ctx, it, stepMoved, "done", &d)
}

// landedIn finds, in the target's files, the folder Nextcloud moved p
// into. Nextcloud names it in the target's language ("Transferred from X on
// DATE", "Transféré de X à DATE", fixtures 381–382), so it is read back,
// not guessed: a top-level folder, other than the folder of the contacts
// exports and those that held p's name already before the transfer was
// accepted (before, see holding), that holds p's name now; for the whole
// home, a top-level folder that was not there before. Transfers accepted in
// the same second land in the same folder (fixture 128), so a folder that
// one item's files created may be where the next one's land.
func (r *run) landedIn(ctx context.Context, p string, before []string) (string, error) {
	dst := r.s.nc.As(r.t.Target)
	list, err := dst.ListFiles(ctx, "/", false)
	if err != nil {
		return "", err
	}
	var fresh []nextcloud.FileInfo
	for _, f := range list {
		if f.IsDir && f.Own() && f.Path != "/" && !slices.Contains(before, f.Path) && f.Path != r.exportDir() {
			fresh = append(fresh, f)
		}
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].ModTime.After(fresh[j].ModTime) })
	for _, f := range fresh {
		if p == "/" {
			return strings.TrimPrefix(f.Path, "/"), nil
		}
		if ok, err := holds(ctx, dst, f.Path, path.Base(p)); err != nil || ok {
			return strings.TrimPrefix(f.Path, "/"), err
		}
	}
	return "", nil
}

// holds reports whether the folder dir of c's files holds an entry named
// name.
func holds(ctx context.Context, c *nextcloud.Client, dir, name string) (bool, error) {
	inside, err := c.ListFiles(ctx, dir, false)
	if err != nil {
		return false, err
	}
	for _, g := range inside {
		if path.Base(g.Path) == name && g.Path != dir {
			return true, nil
		}
	}
	return false, nil
}

// holding lists the top-level folders of the target's files where p
// cannot be found to have landed: for the whole home ("/") all of them,
// else those that already hold an entry named like p.
func (r *run) holding(ctx context.Context, p string) ([]string, error) {
	dst := r.s.nc.As(r.t.Target)
	list, err := dst.ListFiles(ctx, "/", false)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range list {
		if !f.IsDir || f.Path == "/" {
			continue
		}
		if p == "/" {
			out = append(out, f.Path)
			continue
		}
		ok, err := holds(ctx, dst, f.Path, path.Base(p))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, f.Path)
		}
	}
	return out, nil
}

// filesOutcome tells whether the files transfer of p (journal d) finished:
// "moved", "failed", or "" while it waits. A transfer notification other
// than the request says it finished; whether the files left the source
// tells how (the notification's text is in the user's language). A folder
// found at the source again after a "finished" notification is a copy put
// back (a sync client of the departing member uploading it again) if the
// target's files hold it in a new place: it moved.
func (r *run) filesOutcome(ctx context.Context, p string, d itemData) (string, error) {
	notes, err := r.s.nc.As(r.t.Target).Notifications(ctx)
	if err != nil {
		return "", err
	}
	finished := false
	for _, n := range notes {
		if n.IsTransfer(d.FilesID) && !n.IsTransferRequest() {
			finished = true
		}
	}
	left, err := r.filesLeft(ctx, p)
	if err != nil {
		return "", err
	}
	switch {
	case left:
		return stepMoved, nil
	case !finished:
		return "", nil
	case p == "/":
		return "failed", nil // any new folder of the target's could pass for the home
	}
	folder, err := r.landedIn(ctx, p, d.Before)
	if err != nil || folder == "" {
		return "failed", err
	}
	return stepMoved, nil
}

// filesLeft reports whether the source no longer holds p (for "/": whether
// its own storage is empty; external storage, group folders and shares
// received are mounts that stay, fixture 410).
func (r *run) filesLeft(ctx context.Context, p string) (bool, error) {
	list, err := r.s.nc.As(r.t.Source).ListFiles(ctx, path.Dir(p), false)
	if err != nil {
		return false, err
	}
	for _, f := range list {
		fp := strings.TrimSuffix(f.Path, "/")
		if !f.Own() {
			continue // mounts stay in place (fixture 410)
		}
		if p == "/" && fp != "" && fp != "/" {
			return false, nil
		}
		if p != "/" && fp == p {
			return false, nil
		}
	}
	return true, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Steps of a calendar or address book item, in order.
const (
	stepCreated  = "created"  // the target's collection exists
	stepCopied   = "copied"   // every object is in it
	stepVerified = "verified" // every object is byte for byte the source's
	stepShared   = "shared"   // the shares are re-created on the copy
	stepExported = "exported" // address books: the .vcf is in the target's files (calendars pass)
	stepDeleted  = "deleted"  // the source's collection is deleted
)

// collection copies a calendar or an address book to the target (same
// name unless the target already has one of its own by that name, same
// colour), verifies the copy, re-creates its shares, and only then deletes
// the source's.
func (r *run) collection(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "calendar" && it.Kind != "addressbook" {
		return nil
	}
	kind := nextcloud.Calendars
	if it.Kind == "addressbook" {
		kind = nextcloud.AddressBooks
	}
	d := r.data(it)
	src, dst := r.s.nc.As(r.t.Source), r.s.nc.As(r.t.Target)
	var objects *sourceObjects
	defer func() { objects.Close() }()
	read := func() error {
		if objects != nil {
			return nil
		}
		var err error
		objects, err = r.readObjects(ctx, src, kind, it.Ref)
		return err
	}
	for {
		var err error
		switch it.Step {
		case "":
			// The URI was chosen free when the transfer started: a
			// conflict means it was created before a crash.
			err = dst.MakeCollection(ctx, kind, nextcloud.NewCollection{URI: d.TargetURI, Name: d.Name, Color: d.Color, Components: d.Components})
			if err != nil && !errors.Is(err, nextcloud.ErrConflict) {
				return err
			}
			err = r.save(ctx, it, stepCreated, "running", &d)
		case stepCreated:
			if err = read(); err != nil {
				return err
			}
			it.Total = len(objects.list)
			if err = r.copyObjects(ctx, dst, kind, it, d.TargetURI, objects); err != nil {
				return err
			}
			err = r.save(ctx, it, stepCopied, "running", nil)
		case stepCopied:
			if err = read(); err != nil {
				return err
			}
			if err = verify(ctx, dst, kind, d.TargetURI, objects.list); err != nil {
				return err
			}
			err = r.save(ctx, it, stepVerified, "running", nil)
		case stepVerified:
			if err = dst.Share(ctx, kind, d.TargetURI, shareesFor(d.Sharees, r.t.Target)); err != nil {
				return err
			}
			err = r.save(ctx, it, stepShared, "running", nil)
		case stepShared:
			if kind == nextcloud.Calendars {
				err = r.save(ctx, it, stepExported, "running", nil) // calendars go to the source's trash bin
				break
			}
			if err = read(); err != nil {
				return err
			}
			if d.ExportPath, err = r.saveExport(ctx, dst, it.Label, objects.spool); err != nil {
				return err
			}
			err = r.save(ctx, it, stepExported, "running", &d)
		case stepExported:
			if err = src.DeleteCollection(ctx, kind, it.Ref); err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
				return err
			}
			err = r.save(ctx, it, stepDeleted, "done", nil)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readObjects lists the objects of a source collection with their ETags
// (the MD5 of the stored bytes) and reads them as stored: calendars in one
// REPORT (object by object, as the copy needs them, when it is over
// nextcloud.ListingLimit), address books from their export, spooled to a
// temporary file. An object whose bytes are not found that way is read
// alone. The caller closes what it returns.
func (r *run) readObjects(ctx context.Context, src *nextcloud.Client, kind, coll string) (*sourceObjects, error) {
	etags, err := src.ObjectETags(ctx, kind, coll)
	if err != nil {
		return nil, err
	}
	so := &sourceObjects{src: src, kind: kind, coll: coll}
	byTag := map[string][]byte{}
	if kind == nextcloud.Calendars {
		objs, err := src.CalendarObjects(ctx, coll)
		if err != nil && !errors.Is(err, nextcloud.ErrTooLarge) {
			return nil, err
		}
		for _, o := range objs {
			for _, cand := range [][]byte{o.Data, crlf(o.Data)} {
				byTag[md5hex(cand)] = cand
			}
		}
	} else if so.spool, err = spoolExport(ctx, src, coll); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(etags))
	for n := range etags {
		names = append(names, n)
	}
	sort.Strings(names)
	so.list = make([]nextcloud.Object, 0, len(names))
	for _, n := range names {
		so.list = append(so.list, nextcloud.Object{Name: n, ETag: etags[n], Data: byTag[etags[n]]})
	}
	return so, nil
}

// readOne reads one object as stored: GET as is, then (vCards) in vCard
// 4.0. It fails with errMismatch if no answer matches the ETag.
func readOne(ctx context.Context, src *nextcloud.Client, kind, coll, name, etag string) ([]byte, error) {
	accepts := []string{""}
	if kind == nextcloud.AddressBooks {
		accepts = append(accepts, "text/vcard; version=4.0")
	}
	for _, a := range accepts {
		data, err := src.GetObject(ctx, kind, coll, name, a)
		if err != nil {
			return nil, err
		}
		if md5hex(data) == etag {
			return data, nil
		}
	}
	return nil, fmt.Errorf("%w: cannot read %s as stored", errMismatch, name)
}

// crlf turns bare LF line ends into CRLF, as iCalendar and vCard want.
func crlf(b []byte) []byte {
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

func md5hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// copyObjects puts every object into the target's collection, a few at a
// time. An object already there (a run stopped half-way) is accepted only
// if it has the same bytes.
func (r *run) copyObjects(ctx context.Context, dst *nextcloud.Client, kind string, it *store.TransferItem, coll string, objects *sourceObjects) error {
	var mu sync.Mutex
	copied := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.s.opt.Concurrency)
	for _, o := range objects.list {
		g.Go(recovering(func() error {
			data, err := objects.bytes(gctx, o)
			if err != nil {
				return err
			}
			err = dst.PutObject(gctx, kind, coll, o.Name, data)
			if errors.Is(err, nextcloud.ErrExists) {
				_, err = readOne(gctx, dst, kind, coll, o.Name, o.ETag) // there from a stopped run: same bytes?
			}
			if err != nil {
				return err
			}
			mu.Lock()
			copied++
			if copied%200 == 0 {
				it.Copied = copied
				r.s.st.SaveTransferItem(ctx, *it) // progress for the page
			}
			mu.Unlock()
			return nil
		}))
	}
	err := g.Wait()
	it.Copied = copied
	return err
}

// verify checks that the target's collection holds every object with the
// source's ETag: Nextcloud's ETag is the MD5 of the stored bytes.
func verify(ctx context.Context, dst *nextcloud.Client, kind, coll string, objects []nextcloud.Object) error {
	have, err := dst.ObjectETags(ctx, kind, coll)
	if err != nil {
		return err
	}
	for _, o := range objects {
		if have[o.Name] != o.ETag {
			return fmt.Errorf("%w: %s", errMismatch, o.Name)
		}
	}
	return nil
}

// saveExport writes an address book's export into the target's files,
// under "Contacts - <source's name>/", and checks its size: address books
// have no trash bin, so this copy stays whatever happens next.
func (r *run) saveExport(ctx context.Context, dst *nextcloud.Client, label string, export *spool) (string, error) {
	dir := r.exportDir()
	if err := dst.Mkdir(ctx, dir); err != nil {
		return "", err
	}
	p := dir + "/" + fileSafe(label) + ".vcf"
	if err := dst.Upload(ctx, p, export.reader(), export.size); err != nil {
		return "", err
	}
	list, err := dst.ListFiles(ctx, dir, false)
	if err != nil {
		return "", err
	}
	for _, f := range list {
		if f.Path == p && f.Size == export.size {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: the saved export %s", errMismatch, p)
}

// exportDir is the folder of the target's files where the source's
// address books are saved.
func (r *run) exportDir() string { return "/Contacts - " + fileSafe(r.src.Name) }

func fileSafe(s string) string {
	s = strings.NewReplacer("/", "-", "\\", "-", "\x00", "").Replace(strings.TrimSpace(s))
	if s == "" || s == "." || s == ".." {
		return "contacts"
	}
	return s
}

// enable enables a source that was disabled, for the duration of the
// transfer (the admin chose so): Nextcloud refuses OCS calls, the files
// transfer included, as a disabled account (fixture 314).
func (r *run) enable(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "enable" {
		return nil
	}
	if err := r.s.nc.As(r.t.Admin).SetAccountEnabled(ctx, r.t.Source, true); err != nil {
		return err
	}
	return r.save(ctx, it, "enabled", "done", nil)
}

// disable disables the source account at the end: when the admin asked,
// once every other item is done (an account whose data did not all move
// stays as it is); when it was disabled before the transfer, always.
func (r *run) disable(ctx context.Context, it *store.TransferItem) error {
	if it.Kind != "disable" {
		return nil
	}
	if !r.data(it).Always {
		items, err := r.s.st.TransferItems(ctx, r.t.ID)
		if err != nil {
			return err
		}
		for _, o := range items {
			if o.Kind != "disable" && o.State != "done" {
				return errSkipped
			}
		}
	}
	if err := r.s.nc.As(r.t.Admin).SetAccountEnabled(ctx, r.t.Source, false); err != nil {
		return err
	}
	return r.save(ctx, it, "disabled", "done", nil)
}
