package sqlstore

import "testing"

func TestBindNumbersPlaceholdersOnPostgres(t *testing.T) {
	pg, lite := &Store{dialect: postgres}, &Store{dialect: "sqlite"}
	q := "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
	if got, want := pg.bind(q), "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"; got != want {
		t.Errorf("postgres: %q, want %q", got, want)
	}
	if got := lite.bind(q); got != q {
		t.Errorf("sqlite: %q, want it unchanged", got)
	}
}
