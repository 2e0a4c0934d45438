-- 0013: Conference Now, one row per user who ever saved it. access_code is
-- the attendees' code, digits only or empty for none; it is kept as typed
-- because its owner reads it back to pass it on. version counts the saves,
-- for the ETag.
CREATE TABLE user_conferencing (
	user_id     TEXT PRIMARY KEY,
	version     INTEGER NOT NULL CHECK (version > 0),
	enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	access_code TEXT NOT NULL CHECK (access_code NOT GLOB '*[^0-9]*'
		AND length(access_code) <= 32)
) STRICT;
