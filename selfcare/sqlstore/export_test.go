package sqlstore

// CacheHits returns how many reads the read cache answered, or -1 when
// the store reads without it.
func (s *Store) CacheHits() int {
	if s.cache == nil {
		return -1
	}
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.hits
}

// ShmMappings returns how many -shm files this process has mapped.
func ShmMappings() int { return shmMappings() }
