package sqlstore

import (
	"context"
	"sync"
)

// Setting reads a PostgreSQL setting as the store's connection (or
// transaction) sees it.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.conn(ctx).Raw("SELECT current_setting(?)", name).Row().Scan(&v)
	return v, err
}

// TakeSearchSlots holds n search slots until the returned function is called.
func (s *Store) TakeSearchSlots(ctx context.Context, n int) (release func(), err error) {
	if err := s.searches.Acquire(ctx, int64(n)); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { s.searches.Release(int64(n)) }) }, nil
}
