package selfcare

// Verifications returns how many password verifications s has run, so that
// the external tests can check that every login path runs exactly one.
func Verifications(s *Service) int64 { return s.hash.verifications.Load() }
