// Package onboarding brings new phones into service with activation codes:
// an administrator provisions a phone and requires activation, its owner
// reads the code in the portal (or an administrator exports it), and the
// phone redeems it, once.
//
// # Devices and codes
//
// A phone provisioned with its MAC address is named "SEP" and the MAC, and
// its code works only for that MAC. A phone provisioned without one gets a
// dummy name, "BAT" and 12 random hexadecimal digits, and its code works for
// any phone of its model; on activation it is renamed "SEP" and the MAC of
// the phone that redeemed it. The model must match in both cases.
//
// A code is 16 decimal digits drawn uniformly from crypto/rand by rejection
// sampling, shown in groups of four ("1234-5678-9012-3456"); [Normalize]
// accepts it back with or without spaces and dashes, and nothing else.
// Each device has at most one code, whose state is outstanding, used,
// expired (computed from the clock, after the time to live, 168 hours by
// default) or released.
//
// # Keeping codes secret
//
// The portal must show a code again, so a code is stored sealed:
// AES-256-GCM with the device name as associated data ([Sealer.Seal]). It
// is checked through a verifier, HMAC-SHA256 of the code and the identity
// the phone presents (its MAC, or its model for a dummy-named phone), so
// that redemption compares keyed hashes with [hmac.Equal] and a store can
// find a dummy-named phone's code by its verifier. Both keys are derived
// with HKDF from one 32-byte activation key kept outside the database
// ([LoadOrCreateKeyFile], [LoadKeyFile]). A third derived key gives the
// key's check value ([Sealer.KeyCheck]), which the database keeps beside
// the codes ([KeyStore]): [VerifyKey] refuses a key other than the one that
// sealed them with [ErrKeyMismatch], so that a lost or replaced key file is
// noticed at once, not when every code fails to open. A verifier is a
// keyed hash rather than a salted password hash: a store must be able to
// look a code up by it, which a salt prevents; without the key it says
// nothing (OWASP calls such a key a pepper). This departs from the letter
// of ASVS 6.5.2 for secrets under 112 bits, deliberately.
//
// No code appears in a log line, an error or an audit event; a [Plaintext]
// prints as "[activation code]". Every code shown (to a user, in an
// export, to the administrator who issued it) is audited first, and not
// shown when the audit event cannot be recorded; only an export to a file
// ([Registry.ExportTo]) is audited once the file is written, so that a
// failed one is recorded as failed, and its caller removes a file whose
// event was lost. A user's view shows a bounded number of phones
// (DefaultMaxShown), an expired code among them without the code.
//
// # Guessing
//
// A phone that redeems a code gets the same [ErrRedeemFailed] whatever went
// wrong. Three limits bound guessing, each counted before a guess is
// checked, so that concurrent guesses cannot overrun them:
//
//   - per code: MaxFailures (5) failed attempts, and the attempt that
//     reaches the limit releases the code, which must then be replaced;
//   - per source address: 20 failures per 15 minutes;
//   - per site: 1,000 failures per hour (the ceiling).
//
// A window starts with its first failure, so a span of T overlaps at most
// ceil(T/W) + 1 windows of length W. With 10^16 codes (about 2^53.2) and a
// target of 2^-32 (about 2.33 × 10^-10) for the chance that guessing finds
// a given code during its life of 168 hours:
//
//   - A code bound to a MAC is checked only by attempts that name that MAC,
//     at most 5 times: 5 / 10^16 = 5 × 10^-16, about 2^-50.8.
//   - A dummy-named phone's code is bound to a model, so a guess names no
//     device and is checked against every outstanding code of the model;
//     only the ceiling bounds it: (168 + 1) × 1,000 = 169,000 guesses, and
//     169,000 / 10^16 = 1.69 × 10^-11, about 2^-35.8, 13.8 times below the
//     target.
//   - One source address alone gets (168 × 4 + 1) × 20 = 13,460 guesses,
//     1.35 × 10^-12 (about 2^-39.4) against a dummy-named phone's code.
//
// Both bounds hold for any code. For an attacker who wants any code at all,
// multiply by the number of codes a guess is checked against: for codes
// bound to MACs the result stays below 2^-32 up to 465,000 outstanding
// codes; for dummy-named phones it stays below only while a model has at
// most 13 outstanding codes (or while 1,000 × (TTL in hours + 1) × codes
// of the model < 2.33 × 10^6). Provisioning phones with their MAC is the
// safer mode, as the reference says too. A longer time to live weakens the
// second bound: with the default ceiling the per-code bound holds up to a
// time to live of 2,327 hours. [Registry.Odds] computes both bounds for
// the configuration in force.
//
// BUG(limits): The limits that stop guessing also let anyone who knows a
// MAC release that phone's code with 5 wrong attempts, and anyone who
// sends 1,000 wrong attempts an hour hold up every activation; the audit
// trail and [Registry.Stats] show such an attack, but do not stop it.
//
// BUG(timing): A failed attempt at a phone that has an outstanding code
// takes a different path, and time, from one at a MAC that has none, so
// timing can tell which MACs await activation. It never tells anything
// about a code.
package onboarding
