-- 0004: the check value of the activation key that seals the codes of
-- 0003: a keyed hash of a fixed label, which says nothing about the key,
-- so that a portal started with another key refuses to run instead of
-- sealing codes that nobody can open. At most one row.

CREATE TABLE activation_key (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	check_value BLOB NOT NULL,
	set_at      INTEGER NOT NULL
) STRICT;
