-- 0014: the administrator's destination policy, one row at most. policy is
-- the policy's JSON, or NULL after a reset, when the built-in default
-- applies; the row stays so that version keeps counting and a version is
-- never handed out twice. Every change advances the store's one generation
-- (the acl_generation row) in the same transaction, so that every process
-- loads the new policy at its next request.
CREATE TABLE destination_policy (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL CHECK (version > 0),
	policy  TEXT
) STRICT;
