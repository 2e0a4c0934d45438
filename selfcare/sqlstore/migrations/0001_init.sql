-- 0001: the first schema. Times are integer microseconds since the Unix
-- epoch, UTC. Booleans are 0 or 1. Slices inside a value (privileges, a
-- group's roles, a device's lines) keep their order through "position".

-- The acl generation: one row, bumped in the same transaction as every
-- change to roles, groups or memberships, so that every process sees it.
CREATE TABLE acl_generation (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	value INTEGER NOT NULL
) STRICT;
INSERT INTO acl_generation (id, value) VALUES (1, 0);

CREATE TABLE acl_roles (
	id       TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	standard INTEGER NOT NULL
) STRICT;

CREATE TABLE acl_role_privileges (
	role_id  TEXT NOT NULL REFERENCES acl_roles (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	resource TEXT NOT NULL,
	access   INTEGER NOT NULL,
	PRIMARY KEY (role_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE acl_groups (
	id       TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	standard INTEGER NOT NULL,
	min_rank INTEGER NOT NULL
) STRICT;

-- A role carried by a group cannot be deleted: the foreign key backs up
-- the explicit check that reports acl.ErrInUse.
CREATE TABLE acl_group_roles (
	group_id TEXT NOT NULL REFERENCES acl_groups (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	role_id  TEXT NOT NULL REFERENCES acl_roles (id),
	PRIMARY KEY (group_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX acl_group_roles_by_role ON acl_group_roles (role_id);

-- Members are not tied to the users table: the acl package names users by
-- ID only, and a directory may hold members this portal has not seen.
CREATE TABLE acl_members (
	group_id TEXT NOT NULL REFERENCES acl_groups (id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL,
	PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX acl_members_by_user ON acl_members (user_id, group_id);

CREATE TABLE users (
	id                   TEXT PRIMARY KEY,
	first_name           TEXT NOT NULL,
	last_name            TEXT NOT NULL,
	locale               TEXT NOT NULL,
	rank                 INTEGER NOT NULL,
	profile              TEXT NOT NULL,
	disabled             INTEGER NOT NULL,
	password_hash        TEXT NOT NULL,
	password_changed_at  INTEGER NOT NULL,
	must_change_password INTEGER NOT NULL,
	pin_hash             TEXT NOT NULL,
	pin_changed_at       INTEGER NOT NULL,
	created_at           INTEGER NOT NULL
) STRICT;

-- Previous password hashes; the highest id is the newest.
CREATE TABLE password_history (
	id      INTEGER PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	hash    TEXT NOT NULL
) STRICT;
CREATE INDEX password_history_by_user ON password_history (user_id, id);

CREATE TABLE devices (
	name              TEXT PRIMARY KEY,
	owner             TEXT NOT NULL REFERENCES users (id),
	model             TEXT NOT NULL,
	admin_description TEXT NOT NULL,
	description       TEXT NOT NULL
) STRICT;
CREATE INDEX devices_by_owner ON devices (owner, name);

CREATE TABLE device_lines (
	device     TEXT NOT NULL REFERENCES devices (name) ON DELETE CASCADE,
	position   INTEGER NOT NULL,
	line_index INTEGER NOT NULL,
	extension  TEXT NOT NULL,
	label      TEXT NOT NULL,
	PRIMARY KEY (device, position)
) STRICT, WITHOUT ROWID;

-- Sessions are keyed by the SHA-256 of the token; the token is never here.
CREATE TABLE sessions (
	token_hash       BLOB PRIMARY KEY,
	user_id          TEXT NOT NULL,
	created_at       INTEGER NOT NULL,
	authenticated_at INTEGER NOT NULL,
	last_seen        INTEGER NOT NULL,
	remote_addr      TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);
CREATE INDEX sessions_by_created_at ON sessions (created_at);

CREATE TABLE login_failures (
	key      TEXT PRIMARY KEY,
	count    INTEGER NOT NULL,
	first_at INTEGER NOT NULL,
	last_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- AUTOINCREMENT so that an ID is never handed out twice, even if old
-- events are one day pruned.
CREATE TABLE audit (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	time        INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	target      TEXT NOT NULL,
	outcome     TEXT NOT NULL,
	detail      TEXT NOT NULL,
	remote_addr TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_time ON audit (time, id);
CREATE INDEX audit_by_actor ON audit (actor, time, id);
CREATE INDEX audit_by_action ON audit (action, time, id);
