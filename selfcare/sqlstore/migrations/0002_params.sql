-- 0002: enterprise and service parameters, the cluster's servers, user
-- profiles and each user's Extension Mobility choice.
--
-- Every change to param_values or cluster_servers advances the one store
-- generation (the acl_generation row) in the same transaction, so that the
-- parameter caches of every process, like the acl caches, reload on their
-- next request.

-- Only the values an administrator set are here; a missing key means the
-- default applies. Values are kept as given, in canonical form.
CREATE TABLE param_values (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- Server names are host names: two that differ only in case are one.
CREATE TABLE cluster_servers (
	name      TEXT PRIMARY KEY COLLATE NOCASE,
	publisher INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Profile names compare exactly. users.profile names a profile or is
-- empty; the store refuses to delete a profile that a user holds.
CREATE TABLE user_profiles (
	name                    TEXT PRIMARY KEY,
	description             TEXT NOT NULL,
	allow_em_max_login_time INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX users_by_profile ON users (profile);

-- The user's Extension Mobility maximum login time choice: "default",
-- "none" or H:MM; empty means the user never chose.
ALTER TABLE users ADD COLUMN em_login_choice TEXT NOT NULL DEFAULT '';
