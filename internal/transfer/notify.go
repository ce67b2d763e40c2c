package transfer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"assokit/internal/nextcloud"
)

// notify tells the source, the target and the admin that the transfer
// ended, each in their language (French or English). A notification that
// cannot be sent is logged, not retried: the transfer itself is over.
func (r *run) notify(ctx context.Context, state string, failed, total int) {
	admin := Person{UID: r.t.Admin}
	if a, err := r.s.nc.As(r.t.Admin).Account(ctx, r.t.Admin); err == nil {
		admin.Lang = a.Language
	}
	seen := map[string]bool{}
	for _, p := range []Person{r.src, r.dst, admin} {
		if p.UID == "" || seen[p.UID] {
			continue
		}
		seen[p.UID] = true
		subject, message := endText(p, r.src, r.dst, state, failed, total)
		n := nextcloud.Notification{ObjectID: "transfer-" + strconv.FormatInt(r.t.ID, 10), Subject: subject, Message: message}
		if p.UID == admin.UID {
			if u, err := r.s.nc.AbsoluteURL(ctx, "/index.php/apps/app_api/embedded/assokit/assokit"); err == nil {
				n.Link = u
			}
		}
		if err := r.s.nc.As(p.UID).Notify(ctx, n); err != nil {
			r.s.log.WarnContext(ctx, "transfer notification not sent", "transfer", r.t.ID, "user", p.UID, "error", err)
		}
	}
}

// endText is the notification one person gets at the end of a transfer.
func endText(to, src, dst Person, state string, failed, total int) (string, string) {
	fr := strings.HasPrefix(to.Lang, "fr")
	var subject, message string
	switch {
	case fr && state == "done":
		subject = fmt.Sprintf("Transfert terminé : de %s vers %s", src.Name, dst.Name)
	case fr:
		subject = fmt.Sprintf("Transfert terminé avec des erreurs : de %s vers %s", src.Name, dst.Name)
	case state == "done":
		subject = fmt.Sprintf("Transfer finished: from %s to %s", src.Name, dst.Name)
	default:
		subject = fmt.Sprintf("Transfer finished with errors: from %s to %s", src.Name, dst.Name)
	}
	switch {
	case fr && to.UID == dst.UID:
		message = "Les fichiers sont dans le dossier « Transferred from " + src.Name + " … », les agendas et carnets d'adresses portent le nom « (" + src.Name + ") »."
	case to.UID == dst.UID:
		message = "The files are in the folder “Transferred from " + src.Name + " …”; the calendars and address books are named “(" + src.Name + ")”."
	case fr && to.UID == src.UID:
		message = "Vos fichiers, agendas et contacts ont été confiés à " + dst.Name + "."
	case to.UID == src.UID:
		message = "Your files, calendars and contacts were handed over to " + dst.Name + "."
	case fr:
		message = fmt.Sprintf("%d élément(s) sur %d n'ont pas pu être transférés ; le rapport est dans AssoKit.", failed, total)
	default:
		message = fmt.Sprintf("%d of %d item(s) could not be transferred; the report is in AssoKit.", failed, total)
	}
	if to.UID != src.UID && to.UID != dst.UID && failed == 0 {
		if fr {
			message = "Tout a été transféré ; le rapport est dans AssoKit."
		} else {
			message = "Everything was transferred; the report is in AssoKit."
		}
	}
	return subject, message
}
