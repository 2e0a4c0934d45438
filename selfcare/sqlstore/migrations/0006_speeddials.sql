-- 0006: speed dials, per phone. speed_dial_lists holds one row per phone
-- whose list was ever saved, with the version of the whole list for the
-- API's ETag; speed_dials holds the entries, one per position.
CREATE TABLE speed_dial_lists (
	device  TEXT PRIMARY KEY,
	version INTEGER NOT NULL CHECK (version > 0)
) STRICT;

CREATE TABLE speed_dials (
	device      TEXT NOT NULL REFERENCES speed_dial_lists (device) ON DELETE CASCADE,
	position    INTEGER NOT NULL CHECK (position > 0),
	destination TEXT NOT NULL,
	label       TEXT NOT NULL,
	PRIMARY KEY (device, position)
) STRICT;
