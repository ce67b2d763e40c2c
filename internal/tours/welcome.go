package tours

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"assokit/internal/jobs"
	"assokit/internal/nextcloud"
	"assokit/internal/store"
)

// Welcome polls the accounts once. The first poll ever only records the
// accounts that exist (they are never welcomed); later, every new account
// gets one notification, in its language, that leads to the "Découvrir"
// page. An account that cannot be welcomed yet (disabled, Nextcloud
// unreachable) stays pending and is tried again at the next poll.
func (s *Service) Welcome(ctx context.Context) error {
	ids, err := s.nc.AllUserIDs(ctx)
	if err != nil {
		return err
	}
	if _, err := s.store.Setting(ctx, keyBaseline); errors.Is(err, store.ErrNotFound) {
		if err := s.store.AddKnownAccounts(ctx, ids, store.AccountExisting); err != nil {
			return err
		}
		return s.store.SetSetting(ctx, keyBaseline, "1")
	} else if err != nil {
		return err
	}
	if err := s.store.AddKnownAccounts(ctx, ids, store.AccountPending); err != nil {
		return err
	}
	known, err := s.store.KnownAccounts(ctx)
	if err != nil {
		return err
	}
	var errs []error
	link := "" // the Découvrir page's address, asked once per poll
	for _, uid := range ids {
		if known[uid] != store.AccountPending {
			continue
		}
		if link == "" {
			link, _ = s.nc.AbsoluteURL(ctx, PagePath)
		}
		if err := s.welcome(ctx, uid, link); err != nil {
			errs = append(errs, fmt.Errorf("welcome %s: %w", uid, err))
		}
	}
	return errors.Join(errs...)
}

// welcome sends one pending account its welcome, linking to link, unless it chose not to be
// offered tours. It is marked welcomed right after Nextcloud took the
// notification.
func (s *Service) welcome(ctx context.Context, uid, link string) error {
	noOffer, err := s.store.TourNoOffer(ctx, uid)
	if err != nil {
		return err
	}
	if noOffer {
		return s.store.SetKnownAccount(ctx, uid, store.AccountDeclined)
	}
	acc, err := s.nc.As(uid).Account(ctx, uid)
	if errors.Is(err, nextcloud.ErrUnauthorized) {
		// Nextcloud refuses OCS acting as a disabled account (fixtures
		// nextcloud-32-more 315): welcomed once enabled.
		return nil
	}
	if err != nil {
		return err
	}
	n := welcomeText(Language(acc.Language), s.opts.Association(ctx))
	n.ObjectID, n.Link = "welcome-"+uid, link
	if err := s.nc.As(uid).Notify(ctx, n); err != nil {
		return err
	}
	return s.store.SetKnownAccount(ctx, uid, store.AccountWelcomed)
}

// welcomeText is the welcome notification in lang ("fr" or "en").
func welcomeText(lang, association string) nextcloud.Notification {
	if lang == "en" {
		subject := "Welcome to your Nextcloud!"
		if association != "" {
			subject = "Welcome to " + association + "'s Nextcloud!"
		}
		return nextcloud.Notification{Subject: subject,
			Message: "Short guided tours show you Files, Calendar, Contacts and more in a few minutes: open \"Discover\" in the top bar whenever you like."}
	}
	subject := "Bienvenue sur votre Nextcloud !"
	if association != "" {
		subject = "Bienvenue sur le Nextcloud de " + association + " !"
	}
	return nextcloud.Notification{Subject: subject,
		Message: "De courtes visites guidées vous montrent Fichiers, Agenda, Contacts et le reste en quelques minutes : ouvrez « Découvrir » dans la barre du haut quand vous voulez."}
}

// Poll runs Welcome every Options.Poll until ctx ends; failures are logged
// and tried again at the next poll.
func (s *Service) Poll(ctx context.Context) {
	for {
		if err := s.welcomeOnce(ctx); err != nil && ctx.Err() == nil {
			level := slog.LevelWarn
			if errors.Is(err, nextcloud.ErrUnauthorized) {
				level = slog.LevelDebug // AppAPI refuses until AssoKit is enabled
			}
			s.log.Log(ctx, level, "account polling for the welcome failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.opts.Poll):
		}
	}
}

// welcomeOnce is Welcome with a panic turned into an error matching
// jobs.ErrPanicked: the poll is logged and goes on, the process too.
func (s *Service) welcomeOnce(ctx context.Context) (err error) {
	defer jobs.Recover(&err)
	return s.Welcome(ctx)
}
