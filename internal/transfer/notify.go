package transfer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"assokit/internal/nextcloud"
	"assokit/internal/store"
)

// notify tells the source, the target and the admin what the transfer
// moved and what it did not, each in their language (French or English),
// naming the folder the files landed in as Nextcloud named it. It is sent
// before the source is disabled (a disabled account gets no notification:
// Nextcloud refuses OCS calls as that account) and only once: the store
// records it. A notification that cannot be sent is logged, not retried.
func (r *run) notify(ctx context.Context, items []store.TransferItem) error {
	if r.t.NotifiedAt.Unix() > 0 {
		return nil
	}
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
		subject, message := endText(p, r.src, r.dst, admin.UID, items)
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
	return r.s.st.MarkTransferNotified(ctx, r.t.ID)
}

// endText is the notification one person gets at the end of a transfer:
// what moved, what did not and, when known, why.
func endText(to, src, dst Person, admin string, items []store.TransferItem) (string, string) {
	fr := strings.HasPrefix(to.Lang, "fr")
	var moved, kept, givenAway []string
	disable, always := false, false
	for _, it := range items {
		if it.Kind == "enable" || it.Kind == "discover" && it.State == "done" { // steps, not things that move
			continue
		}
		if it.Kind == "disable" {
			var d itemData
			decode(it.Data, &d)
			disable, always = true, d.Always
			continue
		}
		phrase := itemPhrase(it, fr)
		if it.Error == errBoardNotOwned.Code() {
			givenAway = append(givenAway, phrase) // in neither account
			continue
		}
		if it.State == "done" || handedOver(it) {
			moved = append(moved, phrase)
			continue
		}
		if it.Error == errFilesNoSpace.Code() {
			phrase += noSpace(fr, to.UID == dst.UID, dst.Name)
		}
		kept = append(kept, phrase)
	}
	var subject string
	switch {
	case fr && len(kept)+len(givenAway) == 0:
		subject = fmt.Sprintf("Transfert terminé : de %s vers %s", src.Name, dst.Name)
	case fr && len(moved) == 0:
		subject = fmt.Sprintf("Transfert non effectué : de %s vers %s", src.Name, dst.Name)
	case fr:
		subject = fmt.Sprintf("Transfert terminé en partie : de %s vers %s", src.Name, dst.Name)
	case len(kept)+len(givenAway) == 0:
		subject = fmt.Sprintf("Transfer finished: from %s to %s", src.Name, dst.Name)
	case len(moved) == 0:
		subject = fmt.Sprintf("Transfer not done: from %s to %s", src.Name, dst.Name)
	default:
		subject = fmt.Sprintf("Transfer partly done: from %s to %s", src.Name, dst.Name)
	}
	var movedHead, keptHead string
	switch {
	case fr && to.UID == dst.UID:
		movedHead, keptHead = "Reçu de "+src.Name+" : ", "Non transféré, resté chez "+src.Name+" : "
	case to.UID == dst.UID:
		movedHead, keptHead = "Received from "+src.Name+": ", "Not transferred, still with "+src.Name+": "
	case fr && to.UID == src.UID:
		movedHead, keptHead = "Confié à "+dst.Name+" : ", "Resté dans votre compte : "
	case to.UID == src.UID:
		movedHead, keptHead = "Handed over to "+dst.Name+": ", "Still in your account: "
	case fr:
		movedHead, keptHead = "Transféré à "+dst.Name+" : ", "Non transféré : "
	default:
		movedHead, keptHead = "Transferred to "+dst.Name+": ", "Not transferred: "
	}
	var parts []string
	if len(moved) > 0 {
		parts = append(parts, movedHead+strings.Join(moved, ", ")+".")
	}
	if len(kept) > 0 {
		parts = append(parts, keptHead+strings.Join(kept, ", ")+".")
	}
	if len(givenAway) > 0 && fr {
		parts = append(parts, "Confié entre-temps à quelqu'un d'autre, laissé tel quel : "+strings.Join(givenAway, ", ")+".")
	} else if len(givenAway) > 0 {
		parts = append(parts, "Given to someone else meanwhile, left as it is: "+strings.Join(givenAway, ", ")+".")
	}
	if disable && (always || len(kept) == 0) && to.UID != dst.UID {
		if fr {
			parts = append(parts, "Le compte de "+src.Name+" va être désactivé.")
		} else {
			parts = append(parts, src.Name+"'s account is being disabled.")
		}
	}
	if to.UID == admin {
		if fr {
			parts = append(parts, "Le rapport est dans AssoKit.")
		} else {
			parts = append(parts, "The report is in AssoKit.")
		}
	}
	return subject, strings.Join(parts, " ")
}

// noSpace is the likely reason files stayed, as the target reads it
// (yours) or anyone else (the target's, by name).
func noSpace(fr, yours bool, target string) string {
	switch {
	case fr && yours:
		return " (probablement faute de place dans votre compte)"
	case fr:
		return " (probablement faute de place chez " + target + ")"
	case yours:
		return " (likely for lack of space in your account)"
	}
	return " (likely for lack of space in " + target + "'s account)"
}

// beyondPhrases name a board or a conversation in French and in English,
// say what became of it once handed over, then what is left undone when
// its last step failed after the hand-over (handedOver).
var beyondPhrases = map[string][6]string{
	"board": {"le tableau « %s »", "the board “%s”",
		" (ses cartes gardent leurs auteurs et les personnes assignées)", " (its cards keep their authors and assignees)",
		" (ses cartes gardent leurs auteurs et les personnes assignées ; l'accès de l'ancien·ne propriétaire n'a pas pu être retiré)",
		" (its cards keep their authors and assignees; the former owner's access could not be removed)"},
	"conversation": {"la conversation « %s »", "the conversation “%s”",
		" (comme modérateur·rice : Talk ne permet de rendre personne propriétaire)", " (as moderator: Talk cannot make anyone owner)",
		" (comme modérateur·rice : Talk ne permet de rendre personne propriétaire ; l'ancien·ne modérateur·rice n'a pas pu la quitter)",
		" (as moderator: Talk cannot make anyone owner; the former moderator could not leave it)"},
}

// handedOver reports whether a board or a conversation that failed did so
// after the target got it: the board moved but the source's share could
// not be removed, or the target moderates but the source could not leave.
func handedOver(it store.TransferItem) bool {
	if it.State != "failed" || it.Error == errBoardNotOwned.Code() || it.Error == errNoModerator.Code() {
		return false
	}
	return it.Kind == "board" && it.Step == stepBoardMoved || it.Kind == "conversation" && it.Step == stepTalkPromoted
}

// itemPhrase names what an item moves, in French or English: the folder
// the files landed in as Nextcloud named it, the calendar's or address
// book's name, the board's (whose cards keep their authors, fixture 439)
// or the conversation's (where the target became moderator).
func itemPhrase(it store.TransferItem, fr bool) string {
	if p, ok := beyondPhrases[it.Kind]; ok {
		lang := 1
		if fr {
			lang = 0
		}
		phrase := fmt.Sprintf(p[lang], it.Label)
		switch {
		case it.State == "done":
			phrase += p[2+lang]
		case handedOver(it):
			phrase += p[4+lang]
		}
		return phrase
	}
	var d itemData
	decode(it.Data, &d)
	switch {
	case it.Kind == "discover" && it.Error == errDeckDisabled.Code() && fr:
		return "les tableaux Deck (Deck a été désactivé pendant le transfert)"
	case it.Kind == "discover" && it.Error == errDeckDisabled.Code():
		return "the Deck boards (Deck was disabled during the transfer)"
	case it.Kind == "discover" && it.Error == errTalkDisabled.Code() && fr:
		return "les conversations Talk (Talk a été désactivé pendant le transfert)"
	case it.Kind == "discover" && it.Error == errTalkDisabled.Code():
		return "the Talk conversations (Talk was disabled during the transfer)"
	case it.Kind == "discover" && fr:
		return "les tableaux et conversations"
	case it.Kind == "discover":
		return "the boards and conversations"
	case it.Kind == "files" && it.Ref == "/" && d.Folder != "" && fr:
		return "tous les fichiers (dans le dossier « " + d.Folder + " »)"
	case it.Kind == "files" && it.Ref == "/" && d.Folder != "":
		return "all files (in the folder “" + d.Folder + "”)"
	case it.Kind == "files" && it.Ref == "/" && fr:
		return "tous les fichiers"
	case it.Kind == "files" && it.Ref == "/":
		return "all files"
	case it.Kind == "files" && d.Folder != "" && fr:
		return "« " + it.Label + " » (dans le dossier « " + d.Folder + " »)"
	case it.Kind == "files" && d.Folder != "":
		return "“" + it.Label + "” (in the folder “" + d.Folder + "”)"
	case it.Kind == "files" && fr:
		return "« " + it.Label + " »"
	case it.Kind == "files":
		return "“" + it.Label + "”"
	case it.Kind == "calendar" && fr:
		return "l'agenda « " + it.Label + " »"
	case it.Kind == "calendar":
		return "the calendar “" + it.Label + "”"
	case fr:
		return "le carnet d'adresses « " + it.Label + " »"
	}
	return "the address book “" + it.Label + "”"
}
