-- 0011: phone contacts, per phone. Each contact has its own version, for
-- the API's ETag; its numbers keep their order through "position". Type
-- holds 1 work, 2 home, 3 mobile, 4 other.
CREATE TABLE phone_contacts (
	device     TEXT NOT NULL REFERENCES devices (name) ON DELETE CASCADE,
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL CHECK (version > 0),
	first_name TEXT NOT NULL,
	last_name  TEXT NOT NULL,
	nickname   TEXT NOT NULL,
	company    TEXT NOT NULL,
	email      TEXT NOT NULL,
	PRIMARY KEY (device, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE phone_contact_methods (
	device   TEXT NOT NULL,
	contact  TEXT NOT NULL,
	position INTEGER NOT NULL,
	type     INTEGER NOT NULL CHECK (type BETWEEN 1 AND 4),
	number   TEXT NOT NULL,
	PRIMARY KEY (device, contact, position),
	FOREIGN KEY (device, contact) REFERENCES phone_contacts (device, id)
		ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- A phone given to another user must not hand them the contacts of the
-- one before: they go in the same transaction as the change of owner,
-- whichever statement makes it (an upsert's DO UPDATE fires this too).
CREATE TRIGGER phone_contacts_drop_on_owner_change
AFTER UPDATE OF owner ON devices
WHEN OLD.owner IS NOT NEW.owner
BEGIN
	DELETE FROM phone_contacts WHERE device = NEW.name;
END;
