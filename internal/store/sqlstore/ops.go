package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// DB returns the connection pool, for its statistics (the /metrics pool
// gauges); everything else goes through the Store.
func (s *Store) DB() (*sql.DB, error) {
	db, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("sqlstore.DB: %w", err)
	}
	return db, nil
}

// CountCurrent counts the current, undeleted resources: the total a
// reindex walks, and what seed checks before it writes.
func (s *Store) CountCurrent(ctx context.Context) (n int64, err error) {
	defer s.edge(ctx, &err)
	if err := s.conn(ctx).Raw("SELECT COUNT(*) FROM resources WHERE deleted = ?", false).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("sqlstore.CountCurrent: %w", err)
	}
	return n, nil
}
