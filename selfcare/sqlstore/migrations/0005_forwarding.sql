-- 0005: call forwarding, one row per directory number, since lines that
-- share an extension forward as one. A rule is a voicemail flag and a
-- destination ('' for none); voicemail wins over the destination, which
-- is kept. version counts the saves, for the API's ETag.
CREATE TABLE line_forwarding (
	extension                      TEXT PRIMARY KEY,
	version                        INTEGER NOT NULL CHECK (version > 0),
	all_voicemail                  INTEGER NOT NULL,
	all_destination                TEXT NOT NULL,
	busy_internal_voicemail        INTEGER NOT NULL,
	busy_internal_destination      TEXT NOT NULL,
	busy_external_voicemail        INTEGER NOT NULL,
	busy_external_destination      TEXT NOT NULL,
	no_answer_internal_voicemail   INTEGER NOT NULL,
	no_answer_internal_destination TEXT NOT NULL,
	no_answer_external_voicemail   INTEGER NOT NULL,
	no_answer_external_destination TEXT NOT NULL
) STRICT;
