-- 0003: device activation. The devices that activation knows and their
-- codes, beside the portal's devices table, whose record of the same name
-- the store creates and renames in the same transactions. No code is ever
-- here in the clear: sealed is its AES-GCM seal (NULL once the code is
-- used or released), verifier a keyed hash.

CREATE TABLE onboarding_devices (
	name                TEXT PRIMARY KEY,
	model               TEXT NOT NULL,
	owner               TEXT NOT NULL REFERENCES users (id),
	mac                 TEXT NOT NULL,
	dummy               INTEGER NOT NULL,
	requires_activation INTEGER NOT NULL,
	activated           INTEGER NOT NULL,
	activated_at        INTEGER NOT NULL,
	provisioned_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX onboarding_devices_by_owner ON onboarding_devices (owner, name);

-- One code per device, as the reference's database has it. A rename of the
-- device on activation carries its code along. Verifiers are unique so that
-- the code of a dummy-named phone, bound to a model, is found by its
-- verifier alone.
CREATE TABLE activation_codes (
	device      TEXT PRIMARY KEY REFERENCES onboarding_devices (name)
	                ON UPDATE CASCADE ON DELETE CASCADE,
	sealed      BLOB,
	verifier    BLOB NOT NULL UNIQUE,
	bound_mac   TEXT NOT NULL,
	bound_model TEXT NOT NULL,
	issued_at   INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('outstanding', 'used', 'released')),
	attempts    INTEGER NOT NULL,
	used_at     INTEGER NOT NULL,
	released_at INTEGER NOT NULL
) STRICT;
CREATE INDEX activation_codes_by_state ON activation_codes (state, device);
