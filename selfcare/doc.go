// Package selfcare holds the Self Care portal's use cases: login and
// sessions, the credential policy, password and PIN changes, the user's
// phones, the administrator's user operations and the audit trail. The web
// layer parses a request, calls one [Service] method and renders the result;
// everything the portal stores goes through the [Store] interfaces, which
// selfcare/memstore and selfcare/sqlstore implement.
//
// # Access
//
// The service composes package acl. A user may log in, and keeps a session,
// only while one of their access control groups, standard or custom,
// carries the role Standard CCM End Users ([acl.Grant.SelfCare]). Every
// login and every [Service.Authenticate] first calls [acl.Resolver.Sync], so
// a membership change made by another process sharing the store takes
// effect on the next request rather than when a cache happens to expire.
// Membership changes made through [Service.AddGroupMember] and
// [Service.RemoveGroupMember] go through the service's [acl.Directory],
// which checks user rank and invalidates this process's cache at once.
//
// Administrators sign in with [Service.AdminLogin] and
// [Service.AuthenticateAdmin] instead, which ask for read access to
// [acl.ResourceAdmin] rather than the Self Care role, and no PIN; the two
// kinds of session share the store and the lockout, and a token of one
// kind presented as the other by a user who lacks that access ends. The
// operations on parameters, profiles and servers take a [Caller] and check
// its grant for each resource.
//
// # Parameters
//
// The enterprise and service parameters of package params apply on every
// request: Login, Authenticate and the parameter operations read the
// store's generation and reload the parameters when it moved, which is how
// a change made by the command line or another portal process applies at
// once. The values decide the feature gates ([Service.CheckFeature]; a
// hidden feature is refused with a [*params.GateError]), the credential
// policy in force ([Config] Policy gives only the defaults), the
// resolver's overlap policy and the Extension Mobility login-time rule
// ([Service.EMLoginTime]).
//
// # Credentials
//
// Passwords and PINs are stored as argon2id hashes in PHC form (see
// [HashSecret]). Each computation costs tens of MiB and milliseconds, which
// makes hashing a denial-of-service lever, so the service runs at most
// Config.MaxConcurrentHashes of them at once; a caller whose context ends,
// or who waits longer than Config.HashWait, gets [ErrBusy]. Only hashing
// waits: requests that do not hash are never queued behind a login flood.
// A successful login whose hash was made with weaker parameters stores a
// fresh one.
//
// The rules for new credentials follow the reference's credential policy
// ([CredentialPolicy]): length bounds, history, not the user ID, and the
// trivial-credential rules. There are no composition rules.
//
// # Sessions
//
// A session token is 256 random bits, handed to the caller once; the store
// keeps only its SHA-256, so a copy of the database opens no session. Each
// login issues a new token. A session ends after Config.IdleTimeout without
// use or Config.AbsoluteTimeout after login, at logout, when the user is
// disabled or loses the Self Care role, and, except for the one making the
// change, when the password changes.
//
// # Anti-automation design
//
// This section is the design record that ASVS 6.1.1 asks for.
//
// No enumeration. [Service.Login] answers every refusal with the same
// [ErrLoginFailed]: unknown user, wrong password, no password or PIN set,
// disabled or locked account, throttled address, no Self Care role. Every
// refusal path runs exactly one argon2id verification, against a dummy
// hash made with the current parameters when there is no real one, and the
// same reads and writes of the failure counters, so the time taken does not
// separate a known user from an unknown one. The real cause is written to
// the audit trail and logged at Info level. Whether an account exists shows
// only to whoever already knows its password.
//
// Per-account lockout. Failed logons count in the [FailureStore] under
// "user:<id>", within the policy's ResetFailedAfter window. When the count
// reaches FailedLogonThreshold (3 by default) the account is locked for
// LockoutDuration after the last failure (30 minutes), or until
// [Service.Unlock] when the duration is LockoutUntilUnlocked. Each attempt
// is counted before its password is checked and cleared if the password
// was right, so parallel guesses cannot all slip past the counter. Wrong
// current passwords in [Service.ChangePassword] and [Service.ChangePIN]
// count too, so a stolen session cannot be used to guess. Counters live in
// the store, so every process sharing it enforces one limit.
//
// Per-address throttle. Failures also count under "addr:<ip>" (IPv6 per
// /64); after Config.AddressFailureLimit of them (20) within
// Config.AddressWindow (15 minutes) every login from that address is
// refused until the window has passed. This bounds how fast one source can
// guess across many accounts, which the per-account counter cannot see.
//
// Malicious lockout. Anyone who knows a user ID can lock that account with
// three guesses; the design limits the harm rather than pretending to
// prevent it. The lockout is temporary by default and does not end the
// user's open sessions; attempts during a lockout are not counted, so they
// do not extend it; when a lockout ends the counter starts afresh; the
// address throttle caps how many accounts one source can lock per window;
// every lockout appears in the audit trail ("account now locked"), and an
// administrator can unlock at once. Sites that suffer distributed lockout
// attacks should raise the threshold (NIST SP 800-63B allows up to 100).
//
// # Audit
//
// Every login, refusal, logout, revoked session, credential change and
// administrator operation appends an [AuditEvent] with who, what, when
// (the injected clock) and from where. Passwords, PINs and session tokens
// are never written to the trail or to the log; request-supplied text is
// stripped of control characters and bounded first.
//
// BUG(credential): new passwords are not yet checked against a list of
// common or breached passwords, and are compared as given, without Unicode
// normalisation.
//
// BUG(store): there is no PIN history: a PIN is only refused when it equals
// the current one.
package selfcare
