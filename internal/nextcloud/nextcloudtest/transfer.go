package nextcloudtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/webdav"
)

// fileTransfer is a row of oc_user_transfer_owner: a files ownership
// transfer requested by Source, waiting for Target to accept, then for the
// background job.
type fileTransfer struct {
	ID       int
	Source   string
	Target   string
	Path     string // in the source's files, "/" for the whole home
	NodeName string // "files" for the whole home
	Accepted bool
}

// Share is a share of the files_sharing app: a user share (Type 0) or a
// public link (Type 3).
type Share struct {
	ID          int
	Type        int
	Owner       string // uid_owner, uid_file_owner
	Path        string // in the owner's files
	ShareWith   string // Type 0
	Target      string // Type 0: where the recipient sees it ("/<name>")
	Token       string // Type 3
	Permissions int
	IsDir       bool
}

// AddShare creates a share of p (in owner's files) and returns its id. The
// share's recipient sees it as a received share (not mounted in its tree).
func (s *Server) AddShare(sh Share) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastShare++
	sh.ID = s.lastShare
	if sh.Permissions == 0 {
		sh.Permissions = 19
	}
	if sh.Type == 3 && sh.Token == "" {
		sh.Token = "tok" + strconv.Itoa(sh.ID)
	}
	if sh.Type == 0 && sh.Target == "" {
		sh.Target = "/" + path.Base(sh.Path)
	}
	cp := sh
	s.shares = append(s.shares, &cp)
	if sh.Type == 0 {
		s.davLocked(sh.ShareWith).mounts[sh.Target] = &mount{Type: "shared", Owner: sh.Owner, Path: sh.Path}
	}
	return sh.ID
}

// Shares returns a copy of every share, by id.
func (s *Server) Shares() []Share {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Share, 0, len(s.shares))
	for _, sh := range s.shares {
		out = append(out, *sh)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// FileBytes returns how many bytes of file content went through the fake's
// WebDAV files endpoint (downloads and uploads).
func (s *Server) FileBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fileBytes
}

var transferIDPath = regexp.MustCompile(`^/apps/files/api/v1/transferownership/(\d+)$`)

// serveFilesApp serves the files app's transferownership endpoints, as
// TransferOwnershipController does: failures carry no message.
func (s *Server) serveFilesApp(o *ocsReq) {
	m := o.r.Method
	if o.path == "/apps/files/api/v1/transferownership" && m == http.MethodPost {
		s.requestTransfer(o)
		return
	}
	sm := transferIDPath.FindStringSubmatch(o.path)
	if sm == nil || (m != http.MethodPost && m != http.MethodDelete) {
		o.reply(ocsNotFound, "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.", nil)
		return
	}
	id, _ := strconv.Atoi(sm[1])
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.transfers[id]
	switch {
	case t == nil:
		o.reply(http.StatusNotFound, "", nil)
	case t.Target != o.who.user:
		o.reply(http.StatusForbidden, "", nil)
	case m == http.MethodPost:
		t.Accepted = true
		s.dropNotificationsLocked(func(n Notification) bool {
			return n.App == "files" && n.ObjectType == "transfer" && n.ObjectID == strconv.Itoa(id) && len(n.actions) > 0
		})
		o.ok(nil)
	default:
		delete(s.transfers, id)
		s.dropNotificationsLocked(func(n Notification) bool {
			return n.App == "files" && n.ObjectType == "transfer" && n.ObjectID == strconv.Itoa(id)
		})
		s.filesNoteLocked(t, t.Source, "denied", t.Target)
		o.ok(nil)
	}
}

func (s *Server) requestTransfer(o *ocsReq) {
	p, recipient := o.str("path"), o.str("recipient")
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.users[o.who.user]
	if s.users[recipient] == nil {
		o.reply(http.StatusBadRequest, "", nil)
		return
	}
	d := s.davLocked(o.who.user)
	clean := path.Clean("/" + p)
	if d.mounted(clean) {
		o.reply(http.StatusForbidden, "", nil)
		return
	}
	if _, err := d.files.Stat(context.Background(), clean); err != nil && clean != "/" {
		o.reply(http.StatusBadRequest, "", nil)
		return
	}
	s.lastTransfer++
	t := &fileTransfer{ID: s.lastTransfer, Source: o.who.user, Target: recipient, Path: clean, NodeName: path.Base(clean)}
	if clean == "/" {
		t.NodeName = "files"
	}
	s.transfers[t.ID] = t
	id := strconv.Itoa(t.ID)
	link := s.url + "/ocs/v2.php/apps/files/api/v1/transferownership/" + id
	txt := filesTexts[s.langLocked(recipient)]
	s.addNoteLocked(Notification{App: "files", User: recipient, ObjectType: "transfer", ObjectID: id,
		subjectRich:   txt["request.subject"],
		subjectParams: map[string]any{"user": userParam(src)},
		messageRich:   txt["request.message"],
		messageParams: map[string]any{"path": map[string]any{"type": "highlight", "id": recipient + "::" + t.NodeName, "name": t.NodeName}},
		actions: []map[string]any{
			{"label": txt["accept"], "link": link, "type": "POST", "primary": true},
			{"label": txt["reject"], "link": link, "type": "DELETE", "primary": false},
		}})
	o.ok(nil)
}

// mounted reports whether p is in something mounted in the user's files
// (a share received, external storage), not on the user's home storage.
func (d *userDAV) mounted(p string) bool {
	for mp := range d.mounts {
		if p == mp || strings.HasPrefix(p, mp+"/") {
			return true
		}
	}
	return false
}

func userParam(u *User) map[string]any {
	return map[string]any{"type": "user", "id": u.ID, "name": u.DisplayName}
}

// filesTexts are the files app's transfer texts by language: English and
// French as captured (fixtures 376–391, 413–414). The French failure text
// of the recipient and the French refusal are assumed from
// apps/files/l10n/fr.js (no capture).
var filesTexts = map[string]map[string]string{
	"en": {
		"request.subject": "Incoming ownership transfer from {user}",
		"request.message": "Do you want to accept {path}?\n\nNote: The transfer process after accepting may take up to 1 hour.",
		"accept":          "Accept", "reject": "Reject",
		"done.subject": "Ownership transfer done", "done.source": "Your ownership transfer of {path} to {user} has completed.",
		"done.target":    "The ownership transfer of {path} from {user} has completed.",
		"failed.subject": "Ownership transfer failed", "failed.source": "Your ownership transfer of {path} to {user} failed.",
		"failed.target":  "The ownership transfer of {path} from {user} failed.",
		"denied.subject": "Ownership transfer denied", "denied.source": "Your ownership transfer of {path} was denied by {user}.",
		"folder": "Transferred from %s on %s",
	},
	"fr": {
		"request.subject": "Transfert de propriété de la part de {user}",
		"request.message": "Voulez-vous accepter {path} ?\n\nN. B. : L'opération de transfert après acceptation peut prendre jusqu'à 1 heure.",
		"accept":          "Accepter", "reject": "Refuser",
		"done.subject": "Transfert de propriétaire terminé", "done.source": "Votre transfert de propriété de {path} à {user} est terminé.",
		"done.target":    "Le transfert de propriété de {path} de {user} est terminé.",
		"failed.subject": "Le transfert de propriétaire a échoué", "failed.source": "Votre transfert de propriété de {path} à {user} a échoué.",
		"failed.target":  "Le transfert de propriété de {path} de {user} a échoué.",
		"denied.subject": "Transfert de propriété refusé", "denied.source": "Votre transfert de propriété de {path} a été refusé par {user}.",
		"folder": "Transféré de %s à %s",
	},
}

// langLocked is the language of uid's Nextcloud texts: French or English.
func (s *Server) langLocked(uid string) string {
	if u := s.users[uid]; u != nil && strings.HasPrefix(u.Language, "fr") {
		return "fr"
	}
	return "en"
}

// filesNoteLocked sends one of the files app's transfer notifications
// (what: done, failed, denied) to uid about t, in uid's language; other is
// the user named in it.
func (s *Server) filesNoteLocked(t *fileTransfer, uid, what, other string) {
	txt := filesTexts[s.langLocked(uid)]
	role := "target"
	if uid == t.Source {
		role = "source"
	}
	subject, message := txt[what+".subject"], txt[what+"."+role]
	pathOwner := t.Target
	if uid == t.Target {
		pathOwner = t.Source
	}
	s.addNoteLocked(Notification{App: "files", User: uid, ObjectType: "transfer", ObjectID: strconv.Itoa(t.ID),
		subjectRich: subject, messageRich: message,
		messageParams: map[string]any{
			"path": map[string]any{"type": "highlight", "id": pathOwner + "::" + t.NodeName, "name": t.NodeName},
			"user": userParam(s.users[other]),
		}})
}

// StartCron runs the background jobs (accepted ownership transfers) every
// interval until Close, as Nextcloud's cron does.
func (s *Server) StartCron(interval time.Duration) {
	s.mu.Lock()
	if s.cronStop != nil {
		s.mu.Unlock()
		return
	}
	stop := make(chan struct{})
	s.cronStop = stop
	s.mu.Unlock()
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				s.RunCron()
			}
		}
	}()
}

// StopCron stops the background jobs StartCron runs: accepted transfers
// wait, as on a server whose cron is late.
func (s *Server) StopCron() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cronStop != nil {
		close(s.cronStop)
		s.cronStop = nil
	}
}

// RunCron runs the queued background jobs now: every accepted ownership
// transfer moves its files into the target's "Transferred from <display
// name> on <date>" folder with their shares, then both users get the "done"
// (or "failed") notification, as OCA\Files\BackgroundJob\TransferOwnership.
func (s *Server) RunCron() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, 0, len(s.transfers))
	for id, t := range s.transfers {
		if t.Accepted {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	for _, id := range ids {
		t := s.transfers[id]
		delete(s.transfers, id)
		if err := s.moveFilesLocked(t); err != nil {
			s.filesNoteLocked(t, t.Source, "failed", t.Target)
			s.filesNoteLocked(t, t.Target, "failed", t.Source)
			continue
		}
		s.filesNoteLocked(t, t.Source, "done", t.Target)
		s.filesNoteLocked(t, t.Target, "done", t.Source)
	}
}

type errQuota struct{}

func (errQuota) Error() string { return "Target user does not have enough free space available." }

// moveFilesLocked does OwnershipTransferService::transfer for the fake.
func (s *Server) moveFilesLocked(t *fileTransfer) error {
	ctx := context.Background()
	src, dst := s.davLocked(t.Source), s.davLocked(t.Target)
	if _, err := src.files.Stat(ctx, t.Path); err != nil {
		return err
	}
	if q := s.users[t.Target].Quota; q > 0 && treeSize(ctx, dst.files, "/")+treeSize(ctx, src.files, t.Path) > q {
		return errQuota{}
	}
	// Named in the recipient's language (fixtures 381, 382), sanitized as
	// OwnershipTransferService does: the source's name, else its uid.
	name := sanitizeName(s.users[t.Source].DisplayName)
	if name == "" {
		name = t.Source
	}
	folder := "/" + sanitizeName(fmt.Sprintf(filesTexts[s.langLocked(t.Target)]["folder"], name, s.now().Format("2006-01-02 15-04-05")))
	dst.files.Mkdir(ctx, folder, 0o755)
	dest := folder + "/" + path.Base(t.Path)
	if t.Path == "/" {
		dest = folder
	}
	if err := copyTree(ctx, src.files, t.Path, dst.files, dest); err != nil {
		return err
	}
	if t.Path == "/" {
		src.files = webdav.NewMemFS() // the source gets a new, empty home
		src.handler.FileSystem = src.files
	} else if err := src.files.RemoveAll(ctx, t.Path); err != nil {
		return err
	}
	var kept []*Share
	for _, sh := range s.shares {
		inside := sh.Owner == t.Source && (t.Path == "/" || sh.Path == t.Path || strings.HasPrefix(sh.Path, t.Path+"/"))
		switch {
		case inside && sh.Type == 0 && sh.ShareWith == t.Target:
			continue // a share to the recipient is deleted
		case inside:
			sh.Owner = t.Target
			sh.Path = dest + strings.TrimPrefix(sh.Path, strings.TrimSuffix(t.Path, "/"))
		case t.Path == "/" && sh.Type == 0 && sh.ShareWith == t.Source && sh.Owner == t.Target:
			delete(src.mounts, sh.Target)
			continue // the target's own share with the source is deleted (fixture 415)
		case t.Path == "/" && sh.Type == 0 && sh.ShareWith == t.Source:
			// Incoming shares follow a whole-home transfer.
			m := src.mounts[sh.Target]
			delete(src.mounts, sh.Target)
			sh.ShareWith, sh.Target = t.Target, dest+sh.Target
			dst.mounts[sh.Target] = m
		}
		kept = append(kept, sh)
	}
	s.shares = kept
	return nil
}

// sanitizeName is OwnershipTransferService::sanitizeFolderName (upstream
// apps/files/lib/Service/OwnershipTransferService.php, no capture): each
// of \ / : . ? # ' " becomes "-", and runs of "-" become one.
func sanitizeName(n string) string {
	n = strings.NewReplacer("\\", "-", "/", "-", ":", "-", ".", "-", "?", "-", "#", "-", "'", "-", `"`, "-").Replace(n)
	for strings.Contains(n, "--") {
		n = strings.ReplaceAll(n, "--", "-")
	}
	return n
}

func treeSize(ctx context.Context, fs webdav.FileSystem, p string) int64 {
	var n int64
	walkTree(ctx, fs, p, func(_ string, fi os.FileInfo) {
		if !fi.IsDir() {
			n += fi.Size()
		}
	})
	return n
}

// walkTree calls fn for p and everything below it.
func walkTree(ctx context.Context, fs webdav.FileSystem, p string, fn func(string, os.FileInfo)) {
	fi, err := fs.Stat(ctx, p)
	if err != nil {
		return
	}
	fn(p, fi)
	if !fi.IsDir() {
		return
	}
	for _, c := range readDir(ctx, fs, p) {
		walkTree(ctx, fs, path.Join(p, c.Name()), fn)
	}
}

// readDir lists the folder p of fs by name (nothing if it cannot be read).
func readDir(ctx context.Context, fs webdav.FileSystem, p string) []os.FileInfo {
	f, err := fs.OpenFile(ctx, p, os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	children, _ := f.Readdir(-1)
	f.Close()
	sort.Slice(children, func(i, j int) bool { return children[i].Name() < children[j].Name() })
	return children
}

func copyTree(ctx context.Context, from webdav.FileSystem, p string, to webdav.FileSystem, dest string) error {
	var err error
	walkTree(ctx, from, p, func(q string, fi os.FileInfo) {
		if err != nil {
			return
		}
		target := path.Join(dest, strings.TrimPrefix(q, p))
		if fi.IsDir() {
			if e := to.Mkdir(ctx, target, 0o755); e != nil && !os.IsExist(e) {
				err = e
			}
			return
		}
		var in, out webdav.File
		if in, err = from.OpenFile(ctx, q, os.O_RDONLY, 0); err != nil {
			return
		}
		defer in.Close()
		if out, err = to.OpenFile(ctx, target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
			return
		}
		if _, err = io.Copy(out, in); err != nil {
			out.Close()
			return
		}
		err = out.Close()
	})
	return err
}

// serveSharing serves the files_sharing list of shares: the caller's own
// shares, or with shared_with_me=true the shares it received.
func (s *Server) serveSharing(o *ocsReq) {
	if o.path != "/apps/files_sharing/api/v1/shares" || (o.r.Method != http.MethodGet && o.r.Method != http.MethodPost) {
		o.reply(ocsNotFound, "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.", nil)
		return
	}
	if o.r.Method == http.MethodPost {
		s.createShare(o)
		return
	}
	withMe := o.r.URL.Query().Get("shared_with_me") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, sh := range s.shares {
		if (withMe && sh.ShareWith != o.who.user) || (!withMe && sh.Owner != o.who.user) {
			continue
		}
		out = append(out, s.shareJSON(sh, o.who.user))
	}
	o.ok(out)
}

// createShare creates a user share (shareType 0) or a public link (3) of
// a path of the caller's own files.
func (s *Server) createShare(o *ocsReq) {
	p := path.Clean("/" + o.str("path"))
	typ, _ := o.num("shareType")
	perms, _ := o.num("permissions")
	s.mu.Lock()
	fi, err := s.davLocked(o.who.user).files.Stat(context.Background(), p)
	recipientOK := typ == 3 || (s.users[o.shareWith()] != nil && o.shareWith() != o.who.user)
	s.mu.Unlock()
	switch {
	case err != nil:
		o.reply(http.StatusNotFound, "Wrong path, file/folder does not exist", nil)
		return
	case typ != 0 && typ != 3:
		o.reply(http.StatusBadRequest, "Unknown share type", nil)
		return
	case !recipientOK:
		o.reply(http.StatusNotFound, "Please specify a valid account to share with", nil)
		return
	}
	id := s.AddShare(Share{Type: typ, Owner: o.who.user, Path: p, ShareWith: o.shareWith(), Permissions: perms, IsDir: fi.IsDir()})
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sh := range s.shares {
		if sh.ID == id {
			o.ok(s.shareJSON(sh, o.who.user))
		}
	}
}

func (o *ocsReq) shareWith() string {
	if typ, _ := o.num("shareType"); typ == 3 {
		return ""
	}
	return o.str("shareWith")
}

// shareJSON is a share as the files_sharing API lists it to viewer: the
// recipient sees it where it is mounted in its own files.
func (s *Server) shareJSON(sh *Share, viewer string) map[string]any {
	owner := s.users[sh.Owner]
	itemType, mime := "file", "application/octet-stream"
	if sh.IsDir {
		itemType, mime = "folder", "httpd/unix-directory"
	}
	row := map[string]any{"id": strconv.Itoa(sh.ID), "share_type": sh.Type, "uid_owner": sh.Owner,
		"displayname_owner": owner.DisplayName, "permissions": sh.Permissions, "uid_file_owner": sh.Owner,
		"displayname_file_owner": owner.DisplayName, "path": sh.Path, "item_type": itemType, "mimetype": mime,
		"file_target": "/" + path.Base(sh.Path), "token": nil, "share_with": nil, "share_with_displayname": nil}
	if sh.Type == 0 {
		row["share_with"], row["file_target"] = sh.ShareWith, sh.Target
		if viewer == sh.ShareWith {
			row["path"] = sh.Target
		}
		if u := s.users[sh.ShareWith]; u != nil {
			row["share_with_displayname"] = u.DisplayName
		}
	} else {
		row["token"] = sh.Token
		row["url"] = s.url + "/index.php/s/" + sh.Token
	}
	return row
}

func (s *Server) addNoteLocked(n Notification) {
	n.ID = s.nextID
	s.nextID++
	n.Time = s.now()
	if n.Subject == "" {
		n.Subject = richText(n.subjectRich, n.subjectParams, true)
	}
	if n.Message == "" {
		n.Message = richText(n.messageRich, n.messageParams, true)
	}
	s.notes = append(s.notes, n)
}

func (s *Server) dropNotificationsLocked(match func(Notification) bool) {
	kept := s.notes[:0]
	for _, n := range s.notes {
		if !match(n) {
			kept = append(kept, n)
		}
	}
	s.notes = kept
}

// richText fills {placeholders} with the parameters' names ("@name" for
// users, as the notifications app's plain subject does).
func richText(text string, params map[string]any, at bool) string {
	for k, v := range params {
		p, _ := v.(map[string]any)
		name, _ := p["name"].(string)
		if at && p["type"] == "user" {
			name = "@" + name
		}
		text = strings.ReplaceAll(text, "{"+k+"}", name)
	}
	return text
}

// serveNotifications serves the notifications app's list (newest first)
// and the deletion of one notification, for the calling user.
func (s *Server) serveNotifications(o *ocsReq) {
	const base = "/apps/notifications/api/v2/notifications"
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case o.path == base && o.r.Method == http.MethodGet:
		out := []map[string]any{}
		for i := len(s.notes) - 1; i >= 0; i-- {
			if n := s.notes[i]; n.User == o.who.user {
				out = append(out, s.noteJSON(n))
			}
		}
		o.ok(out)
	case strings.HasPrefix(o.path, base+"/") && o.r.Method == http.MethodDelete:
		id, _ := strconv.Atoi(strings.TrimPrefix(o.path, base+"/"))
		s.dropNotificationsLocked(func(n Notification) bool { return n.ID == id && n.User == o.who.user })
		o.ok(nil)
	default:
		o.reply(ocsNotFound, "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.", nil)
	}
}

func (s *Server) noteJSON(n Notification) map[string]any {
	objectType := n.ObjectType
	if objectType == "" {
		objectType = "app_api"
	}
	params := func(m map[string]any) any {
		if len(m) == 0 {
			return []any{}
		}
		return m
	}
	actions := []map[string]any{}
	if n.actions != nil {
		actions = n.actions
	}
	icon := s.url + "/apps/files/img/folder-move.svg"
	if n.App != "files" {
		icon = s.url + "/apps/app_api/img/app.svg"
	}
	return map[string]any{"notification_id": n.ID, "app": n.App, "user": n.User,
		"datetime": n.Time.UTC().Format("2006-01-02T15:04:05+00:00"), "object_type": objectType, "object_id": n.ObjectID,
		"subject": n.Subject, "message": n.Message, "link": n.Link,
		"subjectRich": n.subjectRich, "subjectRichParameters": params(n.subjectParams),
		"messageRich": n.messageRich, "messageRichParameters": params(n.messageParams),
		"icon": icon, "shouldNotify": true, "actions": actions}
}
