-- 0016: the Extension Mobility login time choice gets a version, so that
-- two clients that read the same choice cannot overwrite each other: a
-- change names the version it replaces, and 0 is the choice never made.
ALTER TABLE users ADD COLUMN em_login_version INTEGER NOT NULL DEFAULT 0;
