-- 0009: line settings, one row per line appearance (phone and line index)
-- that was ever saved. owner and extension are the phone's owner and the
-- line's number at the save: the service ignores a row that no longer
-- matches the line, so that a phone given to someone else, or a button
-- given another number, starts from the defaults. Rows are kept, not
-- deleted, so that version keeps counting for the ETag.
-- ring_idle and ring_on_call hold the reference's ring settings (0 Use
-- System Default .. 5 Beep Only), mwi_visual its visual alert (0 Use
-- System Policy .. 4 None), mwi_audible its audible alert (0 Off, 1 On,
-- 2 Default).
CREATE TABLE line_settings (
	device           TEXT NOT NULL,
	line_index       INTEGER NOT NULL CHECK (line_index > 0),
	version          INTEGER NOT NULL CHECK (version > 0),
	owner            TEXT NOT NULL,
	extension        TEXT NOT NULL,
	ring_idle        INTEGER NOT NULL CHECK (ring_idle BETWEEN 0 AND 5),
	ring_on_call     INTEGER NOT NULL CHECK (ring_on_call BETWEEN 0 AND 5),
	label            TEXT NOT NULL,
	mwi_visual       INTEGER NOT NULL CHECK (mwi_visual BETWEEN 0 AND 4),
	mwi_audible      INTEGER NOT NULL CHECK (mwi_audible BETWEEN 0 AND 2),
	log_missed_calls INTEGER NOT NULL CHECK (log_missed_calls IN (0, 1)),
	PRIMARY KEY (device, line_index)
) STRICT, WITHOUT ROWID;
