package rest

import (
	"context"
	"strconv"
)

// TxObserver sees every transaction's writes together, once, after the
// last of them and before the transaction commits: the place for one
// record of a whole transaction (a Provenance targeting everything a
// transaction Bundle wrote). A plain write is a transaction of one; a
// batch entry is its own. tx is bound to the transaction: what the
// observer writes commits with the writes, and an error rolls them all
// back. Writes an observer makes here pass commit (Observers see them)
// but are not shown to TxObservers again.
type TxObserver interface {
	BeforeCommit(ctx context.Context, tx *Service, writes []Write) error
}

// ObserveTx registers o for every transaction that writes. Register before
// serving, like hooks.
func (s *Service) ObserveTx(o TxObserver) { s.txObservers = append(s.txObservers, o) }

// txLog is what one transaction wrote, in order.
type txLog struct {
	writes   []Write
	versions map[string]bool // Type/id/_history/n of each
}

func (l *txLog) add(w Write) {
	if l.versions == nil {
		l.versions = map[string]bool{}
	}
	l.writes = append(l.writes, w)
	l.versions[w.Stored.Type+"/"+w.Stored.ID+"/_history/"+strconv.FormatInt(w.Stored.Version, 10)] = true
}

// wrote reports whether ref (Type/id/_history/n) names a version this
// transaction wrote: it exists, even if it is a deletion.
func (l *txLog) wrote(ref string) bool { return l != nil && l.versions[ref] }

// finish shows the transaction's writes to the TxObservers.
func (s *Service) finish(ctx context.Context) error {
	if len(s.txObservers) == 0 || len(s.log.writes) == 0 {
		return nil
	}
	writes := s.log.writes
	for _, o := range s.txObservers {
		if err := o.BeforeCommit(ctx, s, writes); err != nil {
			return err
		}
	}
	return nil
}
