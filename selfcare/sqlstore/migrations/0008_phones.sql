-- 0008: what users set on their phones, and a version for each user's
-- display language.
--
-- phone_settings holds one row per phone a user ever saved settings for,
-- with the owner it was saved for. It is apart from devices so that an
-- administrator who puts a device again does not wipe what the user set;
-- the trigger below drops the row when the phone changes hands, so that
-- nothing the first user wrote reaches the next one. description and
-- phone_locale are '' for none.
CREATE TABLE phone_settings (
	device       TEXT PRIMARY KEY REFERENCES devices (name) ON DELETE CASCADE,
	owner        TEXT NOT NULL,
	version      INTEGER NOT NULL CHECK (version > 0),
	description  TEXT NOT NULL,
	phone_locale TEXT NOT NULL
) STRICT;

CREATE TRIGGER phone_settings_new_owner AFTER UPDATE OF owner ON devices
WHEN NEW.owner IS NOT OLD.owner
BEGIN
	DELETE FROM phone_settings WHERE device = NEW.name;
END;

-- The display language is users.locale itself; user_language counts its
-- changes for the API's ETag. The trigger counts every change, whoever
-- makes it (an administrator's profile update too), so that a user's
-- stale write is refused. A user without a row is at version 0.
CREATE TABLE user_language (
	user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	version INTEGER NOT NULL CHECK (version > 0)
) STRICT;

CREATE TRIGGER user_language_changed AFTER UPDATE OF locale ON users
WHEN NEW.locale IS NOT OLD.locale
BEGIN
	INSERT INTO user_language (user_id, version) VALUES (NEW.id, 1)
		ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
