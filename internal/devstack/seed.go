package devstack

import (
	"fmt"
	"strings"

	"assokit/internal/nextcloud/nextcloudtest"
)

// emailDomain is the demo association's e-mail domain.
const emailDomain = "jardins-partages.example"

// member is a demo account.
type member struct {
	uid, name, lang string
	groups          []string
	disabled        bool
}

// members is the demo association: "Les Jardins Partagés".
var members = []member{
	{"camille", "Camille Martin", "fr", []string{"admin"}, false},
	{"jeanne", "Jeanne Dupont", "fr", []string{"paheko_compta"}, false},
	{"louis", "Louis Bernard", "fr", []string{"paheko_membres"}, false},
	{"ines", "Inès Petit", "fr", []string{"paheko_compta", "paheko_membres"}, false},
	{"hugo", "Hugo Moreau", "fr", []string{"bureau"}, false},
	{"lea", "Léa Laurent", "fr", nil, false},
	{"mathis", "Mathis Simon", "fr", nil, false},
	{"chloe", "Chloé Michel", "fr", []string{"bureau"}, false},
	{"nathan", "Nathan Lefebvre", "en", nil, false},
	{"manon", "Manon Leroy", "fr", nil, false},
	{"theo", "Théo Roux", "fr", nil, false},
	{"zoe", "Zoé David", "en", nil, false},
	{"paul", "Paul Fournier", "fr", nil, true},
}

// Seed fills a fake Nextcloud with the demo association.
func Seed(nc *nextcloudtest.Server) error {
	for _, g := range []string{"admin", "paheko_compta", "paheko_membres", "bureau"} {
		nc.AddGroup(g)
	}
	for _, m := range members {
		nc.AddUser(nextcloudtest.User{ID: m.uid, DisplayName: m.name, Email: m.uid + "@" + emailDomain,
			Password: demoPassword, Groups: m.groups, Enabled: !m.disabled, Language: m.lang})
		files := map[string]string{
			"/Documents/Bienvenue.md":       "# Bienvenue aux Jardins Partagés\n\nBonjour " + m.name + " !\n",
			"/Documents/Compte-rendu AG.md": "Assemblée générale du 12 mars : 23 présents.\n",
			"/Photos/Récolte.txt":           "Courgettes : 14 kg, tomates : 22 kg.\n",
		}
		for p, content := range files {
			if err := nc.PutFile(m.uid, p, []byte(content)); err != nil {
				return fmt.Errorf("demo: file %s of %s: %w", p, m.uid, err)
			}
		}
		nc.PutCalendar(m.uid, "personal", "Personnel")
		for i, ev := range []string{"Permanence au jardin", "Réunion du bureau", "Atelier compost"} {
			uid := fmt.Sprintf("%s-event-%d@jardins-partages.example", m.uid, i+1)
			ics := strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//AssoKit demo//FR",
				"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261101T090000Z",
				fmt.Sprintf("DTSTART:202612%02dT090000Z", 3+7*i), fmt.Sprintf("DTEND:202612%02dT110000Z", 3+7*i),
				"SUMMARY:" + ev, "END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
			if err := nc.PutObject(m.uid, "calendars", "personal", uid+".ics", []byte(ics)); err != nil {
				return err
			}
		}
		nc.PutAddressBook(m.uid, "contacts", "Contacts")
		for i, c := range []string{"Marie Jardinière", "Pépinière du Coin", "Mairie de quartier"} {
			uid := fmt.Sprintf("%s-contact-%d", m.uid, i+1)
			vcf := strings.Join([]string{"BEGIN:VCARD", "VERSION:3.0", "UID:" + uid, "FN:" + c,
				"N:" + c + ";;;;", fmt.Sprintf("TEL;TYPE=CELL:+33 6 12 34 56 %02d", i), "END:VCARD", ""}, "\r\n")
			if err := nc.PutObject(m.uid, "addressbooks", "contacts", uid+".vcf", []byte(vcf)); err != nil {
				return err
			}
		}
	}
	return seedDeparture(nc)
}

// seedDeparture gives Hugo, who is about to leave the association, what a
// transfer has to move: a folder shared with Léa, a public link, a team
// calendar shared with Camille.
func seedDeparture(nc *nextcloudtest.Server) error {
	if err := nc.PutFile("hugo", "/Bureau/Budget 2027.txt", []byte("Semences : 300 €\nOutils : 450 €\n")); err != nil {
		return err
	}
	nc.AddShare(nextcloudtest.Share{Type: 0, Owner: "hugo", Path: "/Bureau", ShareWith: "lea", IsDir: true})
	nc.AddShare(nextcloudtest.Share{Type: 3, Owner: "hugo", Path: "/Photos/Récolte.txt"})
	nc.PutCalendar("hugo", "planning", "Planning du jardin")
	for i := range 12 {
		uid := fmt.Sprintf("hugo-planning-%d@jardins-partages.example", i+1)
		ics := strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//AssoKit demo//FR",
			"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261101T090000Z",
			"DTSTART;TZID=Europe/Paris:" + fmt.Sprintf("2027%02d06T180000", i+1), "DURATION:PT2H",
			"SUMMARY:Arrosage — équipe " + fmt.Sprint(i%3+1), "END:VEVENT", "END:VCALENDAR", ""}, "\r\n")
		if err := nc.PutObject("hugo", "calendars", "planning", uid+".ics", []byte(ics)); err != nil {
			return err
		}
	}
	if err := nc.ShareCalendarWith("hugo", "planning", "camille", true); err != nil {
		return err
	}
	nc.NameGroup("bureau", "Bureau de l'association")
	if err := nc.ShareCollection("hugo", "calendars", "planning", "principals/groups/bureau", false); err != nil {
		return err
	}
	seedBeyondFiles(nc)
	return nil
}

// seedBeyondFiles gives the demo Nextcloud Deck and Talk, and Hugo boards
// and conversations: a board he owns shared with Léa and the bureau group,
// a board Chloé shares with him; conversations he owns (one where he is
// the only moderator), one he moderates, one he only takes part in, and a
// one-to-one conversation.
func seedBeyondFiles(nc *nextcloudtest.Server) {
	nc.EnableDeck(true)
	nc.EnableTalk(true)
	card := func(title string, assigned ...string) nextcloudtest.DeckCard {
		return nextcloudtest.DeckCard{Title: title, Assigned: assigned}
	}
	nc.AddBoard(nextcloudtest.DeckBoard{Title: "Potager 2027", Owner: "hugo", Color: "31CC7C",
		Shares: []nextcloudtest.DeckShare{{With: "lea", Edit: true}, {With: "bureau", Group: true, Edit: true, Share: true}},
		Stacks: []nextcloudtest.DeckStack{
			{Title: "À faire", Cards: []nextcloudtest.DeckCard{card("Commander les semences", "lea"), card("Réparer la clôture")}},
			{Title: "En cours", Cards: []nextcloudtest.DeckCard{card("Compost : retourner le bac 2", "hugo")}},
			{Title: "Fait", Cards: []nextcloudtest.DeckCard{card("Plan des parcelles")}}}})
	nc.AddBoard(nextcloudtest.DeckBoard{Title: "Fête des récoltes", Owner: "hugo", Color: "FF7A66",
		Stacks: []nextcloudtest.DeckStack{{Title: "Idées", Cards: []nextcloudtest.DeckCard{card("Soupe géante"), card("Troc de graines")}}}})
	nc.AddBoard(nextcloudtest.DeckBoard{Title: "Communication", Owner: "chloe", Shares: []nextcloudtest.DeckShare{{With: "hugo", Edit: true}},
		Stacks: []nextcloudtest.DeckStack{{Title: "Affiches", Cards: []nextcloudtest.DeckCard{card("Affiche de printemps", "chloe")}}}})
	p := func(uid string, typ int) nextcloudtest.TalkParticipant {
		return nextcloudtest.TalkParticipant{UID: uid, Type: typ}
	}
	nc.AddConversation(nextcloudtest.TalkRoom{Name: "Bureau", Participants: []nextcloudtest.TalkParticipant{
		p("hugo", nextcloudtest.TalkOwner), p("chloe", nextcloudtest.TalkUser), p("lea", nextcloudtest.TalkUser)}})
	nc.AddConversation(nextcloudtest.TalkRoom{Name: "Arrosage", Type: nextcloudtest.TalkPublic, Participants: []nextcloudtest.TalkParticipant{
		p("hugo", nextcloudtest.TalkOwner), p("camille", nextcloudtest.TalkUser), p("mathis", nextcloudtest.TalkUser), p("manon", nextcloudtest.TalkUser)}})
	nc.AddConversation(nextcloudtest.TalkRoom{Name: "Fête des récoltes", Participants: []nextcloudtest.TalkParticipant{
		p("chloe", nextcloudtest.TalkOwner), p("hugo", nextcloudtest.TalkModerator), p("theo", nextcloudtest.TalkUser)}})
	nc.AddConversation(nextcloudtest.TalkRoom{Name: "Café du jardin", Participants: []nextcloudtest.TalkParticipant{
		p("lea", nextcloudtest.TalkOwner), p("hugo", nextcloudtest.TalkUser), p("zoe", nextcloudtest.TalkUser)}})
	nc.AddConversation(nextcloudtest.TalkRoom{Name: "lea", Type: nextcloudtest.TalkOneToOne, Participants: []nextcloudtest.TalkParticipant{
		p("hugo", nextcloudtest.TalkOwner), p("lea", nextcloudtest.TalkOwner)}})
}
