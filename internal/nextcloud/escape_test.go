package nextcloud_test

import (
	"context"
	"io"
	"path"
	"strings"
	"testing"
	"time"

	"assokit/internal/nextcloud"
	"assokit/internal/nextcloud/nextcloudtest"
)

// TestIdentifiersEscapedOnce runs uids, group ids, folder, file, calendar,
// address-book and object names holding spaces, apostrophes, "@", dots,
// accents, "%", "+", "#", "?", "&" and "=" through every call AssoKit makes,
// against the fake, which decodes a path once as Nextcloud does
// (fixtures 301–303): a name escaped twice, or not at all, names something
// else and the call fails.
func TestIdentifiersEscapedOnce(t *testing.T) {
	cases := []struct{ uid, group, folder, file, coll, object string }{
		{"jean dupont", "bureau 2027", "Dossier de Chloé", "compte rendu.txt", "Réunions & AG", "ev 1@asso.ics"},
		{"o'brien", "l'équipe", "L'été", "it's.txt", "d'été", "o'brien.vcf"},
		{"marie@asso.example", "a+b", "100%20 bio", "50% off.txt", "100%", "%2F.ics"},
		{"j.dupont", "x=y&z", "a+b=c", "q?.txt", "hash#tag", "a+b=c?.ics"},
		{"élodie", "équipe", "Transféré de Hugo Bernard à 2026-11-30 01-09-31", "été.txt", "évènements", "été.vcf"},
	}
	fake := nextcloudtest.NewServer(t)
	fake.InstallExApp(nextcloudtest.ExApp{ID: "assokit", Version: "0.1.0", Secret: "s"})
	fake.AddUser(nextcloudtest.User{ID: "camille", Groups: []string{"admin"}, Enabled: true})
	fake.AddUser(nextcloudtest.User{ID: "bob", Enabled: true})
	nc, err := nextcloud.New(nextcloud.Config{BaseURL: fake.URL(), AppID: "assokit", AppSecret: "s", AppVersion: "0.1.0", Retries: -1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin := nc.As("camille")
	for _, c := range cases {
		t.Run(c.uid, func(t *testing.T) {
			// Provisioning.
			if err := admin.CreateAccount(ctx, nextcloud.NewAccount{ID: c.uid, Password: "x"}); err != nil {
				t.Fatalf("create: %v", err)
			}
			if a, err := admin.Account(ctx, c.uid); err != nil || a.ID != c.uid {
				t.Fatalf("read account = %+v, %v", a, err)
			}
			if err := admin.CreateGroup(ctx, c.group); err != nil {
				t.Fatal(err)
			}
			if err := admin.AddToGroup(ctx, c.uid, c.group); err != nil {
				t.Fatalf("add to group: %v", err)
			}
			if m, err := admin.GroupMembers(ctx, c.group); err != nil || len(m) != 1 || m[0] != c.uid {
				t.Fatalf("group members = %v, %v", m, err)
			}
			for _, on := range []bool{false, true} {
				if err := admin.SetAccountEnabled(ctx, c.uid, on); err != nil {
					t.Fatalf("enable %v: %v", on, err)
				}
			}
			as := nc.As(c.uid)

			// Files DAV.
			p := "/" + c.folder + "/" + c.file
			if err := as.Mkdir(ctx, c.folder); err != nil {
				t.Fatal(err)
			}
			if err := as.Upload(ctx, p, strings.NewReader("contenu"), int64(len("contenu"))); err != nil {
				t.Fatal(err)
			}
			list, err := as.ListFiles(ctx, "/", true)
			if err != nil || !hasPath(list, p, 7) {
				t.Fatalf("files = %+v, %v", list, err)
			}
			if list, err = as.ListFiles(ctx, c.folder, false); err != nil || !hasPath(list, p, 7) {
				t.Fatalf("folder = %+v, %v", list, err)
			}

			// CalDAV and CardDAV: create, put, read back, share, delete.
			for _, kind := range []string{nextcloud.Calendars, nextcloud.AddressBooks} {
				data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:" + c.object + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
				if kind == nextcloud.AddressBooks {
					data = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:" + c.object + "\r\nFN:X\r\nEND:VCARD\r\n"
				}
				if err := as.MakeCollection(ctx, kind, nextcloud.NewCollection{URI: c.coll, Name: c.coll}); err != nil {
					t.Fatalf("%s: create: %v", kind, err)
				}
				if err := as.PutObject(ctx, kind, c.coll, c.object, []byte(data)); err != nil {
					t.Fatalf("%s: put: %v", kind, err)
				}
				tags, err := as.ObjectETags(ctx, kind, c.coll)
				if err != nil || len(tags) != 1 || tags[c.object] == "" {
					t.Fatalf("%s: etags = %v, %v", kind, tags, err)
				}
				if got, err := as.GetObject(ctx, kind, c.coll, c.object, "text/vcard; version=4.0"); err != nil || string(got) != data {
					t.Fatalf("%s: get = %q, %v", kind, got, err)
				}
				if kind == nextcloud.Calendars {
					objs, err := as.CalendarObjects(ctx, c.coll)
					if err != nil || len(objs) != 1 || objs[0].Name != c.object {
						t.Fatalf("calendar objects = %+v, %v", objs, err)
					}
				} else if exp, err := as.ExportAddressBook(ctx, c.coll); err != nil {
					t.Fatalf("export: %v", err)
				} else if raw, _ := io.ReadAll(exp); exp.Close() != nil || string(raw) != data {
					t.Fatalf("export = %q", raw)
				}
				if err := as.Share(ctx, kind, c.coll, []nextcloud.Sharee{nextcloud.UserSharee("bob", true)}); err != nil {
					t.Fatalf("%s: share: %v", kind, err)
				}
				colls, err := as.Collections(ctx, kind)
				if err != nil || !hasCollection(colls, c.coll, "bob") {
					t.Fatalf("%s: collections = %+v, %v", kind, colls, err)
				}
				if err := as.DeleteCollection(ctx, kind, c.coll); err != nil {
					t.Fatalf("%s: delete: %v", kind, err)
				}
			}

			// Shares and notifications.
			fake.AddShare(nextcloudtest.Share{Type: 0, Owner: c.uid, Path: p, ShareWith: "bob"})
			if sh, err := as.Shares(ctx, false); err != nil || len(sh) != 1 || sh[0].Path != p {
				t.Fatalf("shares = %+v, %v", sh, err)
			}
			if err := as.Notify(ctx, nextcloud.Notification{ObjectID: "x", Subject: "Bonjour " + c.uid}); err != nil {
				t.Fatal(err)
			}
			if notes, err := as.Notifications(ctx); err != nil || len(notes) != 1 || notes[0].Subject != "Bonjour "+c.uid {
				t.Fatalf("notifications = %+v, %v", notes, err)
			}

			// The files transfer, to bob and back.
			if err := as.RequestTransfer(ctx, "/"+c.folder, "bob"); err != nil {
				t.Fatal(err)
			}
			id := ""
			notes, _ := nc.As("bob").Notifications(ctx)
			for _, n := range notes {
				if n.IsTransferRequest() && n.ParamUser == c.uid && n.ParamPath == c.folder {
					id = n.ObjectID
				}
			}
			if id == "" {
				t.Fatalf("no transfer request in bob's notifications: %+v", notes)
			}
			if err := nc.As("bob").AcceptTransfer(ctx, id); err != nil {
				t.Fatal(err)
			}
			fake.RunCron()
			moved, err := nc.As("bob").ListFiles(ctx, "/", true)
			found := false
			for _, f := range moved {
				found = found || (path.Base(f.Path) == c.file && strings.HasSuffix(path.Dir(f.Path), "/"+c.folder))
			}
			if err != nil || !found {
				t.Fatalf("bob's files after the transfer = %+v, %v", moved, err)
			}
		})
	}
}

func hasPath(list []nextcloud.FileInfo, p string, size int64) bool {
	for _, f := range list {
		if f.Path == p && f.Size == size && !f.IsDir && f.Own() {
			return true
		}
	}
	return false
}

func hasCollection(colls []nextcloud.Collection, uri, sharee string) bool {
	for _, c := range colls {
		if c.URI == uri && c.Name == uri && len(c.Sharees) == 1 && c.Sharees[0].ID() == sharee {
			return true
		}
	}
	return false
}
