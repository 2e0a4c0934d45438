-- 0010: remote destinations (additional phones), one row each. seq keeps
-- the order of creation; id is the random ID the API shows, looked up
-- together with user_id so that another user's ID finds nothing. Timers
-- are in tenths of a second; voicemail_avoidance holds the reference's
-- values (0 system default, 1 timer, 2 user); schedule is the weekly ring
-- schedule as "day start end" rows joined by ";" ("" rings always).
CREATE TABLE remote_destinations (
	seq                   INTEGER PRIMARY KEY,
	id                    TEXT NOT NULL UNIQUE,
	user_id               TEXT NOT NULL,
	version               INTEGER NOT NULL CHECK (version > 0),
	number                TEXT NOT NULL,
	description           TEXT NOT NULL,
	single_number_reach   INTEGER NOT NULL,
	move_to_mobile        INTEGER NOT NULL,
	delay_before_ringing  INTEGER NOT NULL,
	answer_too_soon       INTEGER NOT NULL,
	answer_too_late       INTEGER NOT NULL,
	voicemail_avoidance   INTEGER NOT NULL CHECK (voicemail_avoidance IN (0, 1, 2)),
	schedule              TEXT NOT NULL,
	time_zone             TEXT NOT NULL,
	UNIQUE (user_id, number)
) STRICT;

CREATE INDEX remote_destinations_user ON remote_destinations (user_id, seq);

-- An administrator's limit for one user; a user without a row has the
-- portal's configured default.
CREATE TABLE remote_destination_limits (
	user_id TEXT PRIMARY KEY,
	max     INTEGER NOT NULL CHECK (max >= 0)
) STRICT;
