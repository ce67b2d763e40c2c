-- Paheko bridge: a confirmation holds for the account an admin answered
-- for, as it was then (name, e-mail, first sign-in in seconds, 0: never),
-- not for another account given the same uid before the link was made.
-- Confirmations recorded before this migration know no account: they no
-- longer hold, and their proposals are made again.
ALTER TABLE paheko_decisions ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE paheko_decisions ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE paheko_decisions ADD COLUMN first_login INTEGER NOT NULL DEFAULT 0;
