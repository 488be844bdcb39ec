package questionnaire

import "sort"

type enableState int

const (
	unknown enableState = iota
	visiting
	isEnabled
	isDisabled
)

// isEnabled reports whether a response item is enabled: its parent is, and
// its enableWhen conditions hold where it stands. Results are memoised; a
// cycle of enableWhen (a broken Questionnaire) counts as enabled rather than
// blaming the response.
func (r *response) isEnabled(n *node) bool {
	switch r.enabled[n] {
	case visiting, isEnabled:
		return true
	case isDisabled:
		return false
	}
	r.enabled[n] = visiting
	ok := (n.parent == nil || r.isEnabled(n.parent)) && r.conditionsHold(n.item, n.parent, n.idx, n.end)
	if ok {
		r.enabled[n] = isEnabled
	} else {
		r.enabled[n] = isDisabled
	}
	return ok
}

// enabledAt reports whether item it would be enabled if it stood in parent
// at position pos: how a missing required item is judged.
func (r *response) enabledAt(it *item, parent *node, before, after int) bool {
	return (parent == nil || r.isEnabled(parent)) && r.conditionsHold(it, parent, before, after)
}

// conditionsHold evaluates an item's enableWhen for an item whose ancestors
// are parent and up, preceded in document order by nodes[:before] and
// followed by nodes[after:]. Several conditions combine by enableBehavior,
// "all" unless it says "any".
func (r *response) conditionsHold(it *item, parent *node, before, after int) bool {
	if len(it.enableWhen) == 0 {
		return true
	}
	for _, c := range it.enableWhen {
		holds := r.holds(c, r.nearest(c.question, parent, before, after))
		if it.enableAny && holds {
			return true
		}
		if !it.enableAny && !holds {
			return false
		}
	}
	return !it.enableAny
}

// nearest finds the occurrence of question link that an enableWhen refers
// to. R4 (Questionnaire.item.enableWhen.question): when a question occurs
// more than once, the nearest occurrence counts, tracing first the ancestor
// axis, then the preceding axis, then the following axis. So where a
// repeating group asks its controlling question first, each repetition
// reads its own answer rather than the first repetition's.
func (r *response) nearest(link string, parent *node, before, after int) *node {
	for p := parent; p != nil; p = p.parent {
		if p.item.linkID == link {
			return p
		}
	}
	// Occurrences are in document order, and those before the item that are
	// not its ancestors make up the preceding axis.
	occurrences := r.byLink[link]
	i := sort.Search(len(occurrences), func(i int) bool { return occurrences[i].idx >= before })
	if i > 0 {
		return occurrences[i-1]
	}
	if j := sort.Search(len(occurrences), func(j int) bool { return occurrences[j].idx >= after }); j < len(occurrences) {
		return occurrences[j]
	}
	return nil
}

// holds evaluates one enableWhen against the question's answers. A question
// that is absent or itself disabled counts as unanswered (R4: logic that
// depends on a disabled item proceeds as though it had no value).
func (r *response) holds(c condition, q *node) bool {
	var answers []value
	if q != nil && r.isEnabled(q) {
		answers = q.answers
	}
	switch c.operator {
	case "exists":
		want, _ := c.answer.V.(bool)
		return c.answer.Kind == "Boolean" && (len(answers) > 0) == want
	case "!=":
		// "True if no answer has a value that is equal to the enableWhen
		// answer", so an unanswered question satisfies !=.
		for _, a := range answers {
			if equal(a, c.answer) {
				return false
			}
		}
		return true
	}
	for _, a := range answers {
		if c.operator == "=" {
			if equal(a, c.answer) {
				return true
			}
			continue
		}
		cmp, ok := compare(a, c.answer)
		if !ok {
			continue
		}
		switch c.operator {
		case ">":
			ok = cmp > 0
		case "<":
			ok = cmp < 0
		case ">=":
			ok = cmp >= 0
		case "<=":
			ok = cmp <= 0
		}
		if ok {
			return true
		}
	}
	return false
}
