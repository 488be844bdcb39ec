package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// The hot statements — a read's head, a write's rows and index — go
// straight to the store's connection, or its transaction, through
// database/sql: gorm's callback chain cost a tenth of their time. They
// are written with ? placeholders, which PostgreSQL wants as $1, $2, ….

// exec runs q with args.
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.Statement.ConnPool.ExecContext(ctx, s.bind(q), args...)
}

// queryRow runs q with args for one row.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.db.Statement.ConnPool.QueryRowContext(ctx, s.bind(q), args...)
}

// bind numbers q's ? placeholders on PostgreSQL. The statements it is
// given hold no ? but placeholders (no literals, no jsonb operators).
func (s *Store) bind(q string) string {
	if s.dialect != postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
