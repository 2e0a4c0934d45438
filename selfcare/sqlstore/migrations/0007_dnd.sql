-- 0007: Do Not Disturb, one row per user who ever saved it, since it
-- applies to all of the user's phones. option and alert hold the
-- reference's values (option 0 Ringer Off, 1 Call Reject; alert 1 Disable,
-- 2 Flash Only, 5 Beep Only). version counts the saves, for the ETag.
CREATE TABLE user_dnd (
	user_id TEXT PRIMARY KEY,
	version INTEGER NOT NULL CHECK (version > 0),
	enabled INTEGER NOT NULL,
	option  INTEGER NOT NULL CHECK (option IN (0, 1)),
	alert   INTEGER NOT NULL CHECK (alert IN (1, 2, 5))
) STRICT;
