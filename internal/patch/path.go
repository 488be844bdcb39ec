package patch

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The FHIRPath subset a patch path may use. A path is an identifier (the
// resource type, or a first element name) followed by steps:
//
//	.name  [n]  .first()  .last()  .where(criteria)
//
// Criteria are comparisons (= and !=) of relative paths (which may also use
// $this, .exists(), .empty() and .not()) with string, number and boolean
// literals, combined with and, or and parentheses. Anything else, resolve()
// above all (a patch must not reach into other resources), is refused as
// invalid rather than guessed at.

// Limits keep hostile paths cheap: nothing here is recursive beyond them.
const (
	maxPathLen   = 4096
	maxPathDepth = 32 // nested where() and parentheses
)

type stepKind int

const (
	stepMember stepKind = iota // .name
	stepIndex                  // [n]
	stepFirst                  // .first()
	stepLast                   // .last()
	stepWhere                  // .where(cond)
	stepExists                 // .exists(), criteria only
	stepEmpty                  // .empty(), criteria only
	stepNot                    // .not(), criteria only
)

type step struct {
	kind  stepKind
	name  string // stepMember
	index int    // stepIndex; clamped, so a huge index just selects nothing
	cond  expr   // stepWhere
}

// expr is a where() criterion.
type expr any

// relPath is a path relative to the element where() is looking at ($this).
type relPath struct{ steps []step }

// literal is a string, json.Number or bool constant.
type literal struct{ value any }

// binary is "=", "!=", "and" or "or".
type binary struct {
	op   string
	l, r expr
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind tokKind
	text string // identifier name, unescaped string, number text, or punctuation
	pos  int
}

// parsePath compiles a patch operation's path.
func parsePath(src string) ([]step, error) {
	if len(src) > maxPathLen {
		return nil, fmt.Errorf("path is longer than %d characters", maxPathLen)
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	first := p.next()
	if first.kind != tokIdent || first.text == "$this" {
		return nil, p.unexpected(first)
	}
	if p.peek().text == "(" {
		return nil, fmt.Errorf("a path must start with the resource type or an element name, not %s()", first.text)
	}
	steps, err := p.steps([]step{{kind: stepMember, name: first.text}}, false)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return steps, nil
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *parser) unexpected(t token) error {
	if t.kind == tokEOF {
		return fmt.Errorf("unexpected end of path")
	}
	return fmt.Errorf("unexpected %q at offset %d", t.text, t.pos)
}

func (p *parser) expect(punct string) error {
	if t := p.next(); t.kind != tokPunct || t.text != punct {
		return fmt.Errorf("expected %q: %w", punct, p.unexpected(t))
	}
	return nil
}

// steps parses the ".name", "[n]" and ".fn()" steps after a path's start.
func (p *parser) steps(steps []step, criteria bool) ([]step, error) {
	for {
		t := p.peek()
		switch {
		case t.kind == tokPunct && t.text == ".":
			p.next()
			name := p.next()
			if name.kind != tokIdent || name.text == "$this" {
				return nil, p.unexpected(name)
			}
			if p.peek().text != "(" || p.peek().kind != tokPunct {
				steps = append(steps, step{kind: stepMember, name: name.text})
				continue
			}
			s, err := p.function(name, criteria)
			if err != nil {
				return nil, err
			}
			steps = append(steps, s)
		case t.kind == tokPunct && t.text == "[":
			p.next()
			n := p.next()
			if n.kind != tokNumber || strings.Contains(n.text, ".") {
				return nil, fmt.Errorf("an indexer needs a non-negative integer: %w", p.unexpected(n))
			}
			idx, err := strconv.Atoi(n.text)
			if err != nil { // too big for an int: no list is that long
				idx = int(^uint(0) >> 1)
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			steps = append(steps, step{kind: stepIndex, index: idx})
		default:
			return steps, nil
		}
	}
}

// function parses "name(...)" once name has been read and "(" is next.
func (p *parser) function(name token, criteria bool) (step, error) {
	p.next() // "("
	var s step
	switch name.text {
	case "first":
		s.kind = stepFirst
	case "last":
		s.kind = stepLast
	case "where":
		if p.depth++; p.depth > maxPathDepth {
			return s, fmt.Errorf("path is nested more than %d deep", maxPathDepth)
		}
		cond, err := p.or()
		if err != nil {
			return s, err
		}
		p.depth--
		s = step{kind: stepWhere, cond: cond}
	case "exists", "empty", "not":
		if !criteria {
			return s, fmt.Errorf("%s() selects no element: it is allowed only inside where()", name.text)
		}
		s.kind = map[string]stepKind{"exists": stepExists, "empty": stepEmpty, "not": stepNot}[name.text]
	case "resolve":
		return s, fmt.Errorf("resolve() is not allowed: a patch cannot reach into other resources")
	default:
		return s, fmt.Errorf("function %s() is not supported in patch paths", name.text)
	}
	return s, p.expect(")")
}

// or, and, compare and operand are the criteria grammar, loosest first.
func (p *parser) or() (expr, error) {
	l, err := p.and()
	for err == nil && p.peek().kind == tokIdent && p.peek().text == "or" {
		p.next()
		var r expr
		if r, err = p.and(); err == nil {
			l = binary{op: "or", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) and() (expr, error) {
	l, err := p.compare()
	for err == nil && p.peek().kind == tokIdent && p.peek().text == "and" {
		p.next()
		var r expr
		if r, err = p.compare(); err == nil {
			l = binary{op: "and", l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) compare() (expr, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokPunct && (t.text == "=" || t.text == "!=") {
		p.next()
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		return binary{op: t.text, l: l, r: r}, nil
	}
	return l, nil
}

func (p *parser) operand() (expr, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return literal{t.text}, nil
	case tokNumber:
		return literal{json.Number(t.text)}, nil
	case tokPunct:
		if t.text != "(" {
			return nil, p.unexpected(t)
		}
		if p.depth++; p.depth > maxPathDepth {
			return nil, fmt.Errorf("path is nested more than %d deep", maxPathDepth)
		}
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		p.depth--
		return e, p.expect(")")
	case tokIdent:
		switch t.text {
		case "true", "false":
			return literal{t.text == "true"}, nil
		case "and", "or":
			return nil, p.unexpected(t)
		}
		var first []step
		switch {
		case t.text == "$this":
		case p.peek().kind == tokPunct && p.peek().text == "(": // a function applied to $this
			s, err := p.function(t, true)
			if err != nil {
				return nil, err
			}
			first = []step{s}
		default:
			first = []step{{kind: stepMember, name: t.text}}
		}
		steps, err := p.steps(first, true)
		return relPath{steps}, err
	}
	return nil, p.unexpected(t)
}

// lex splits a path into tokens; the list always ends with tokEOF.
func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case isIdentStart(c) || c == '$':
			j := i + 1
			for j < len(src) && (isIdentStart(src[j]) || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			if c == '$' && src[i:j] != "$this" {
				return nil, fmt.Errorf("unsupported variable %q at offset %d", src[i:j], i)
			}
			toks = append(toks, token{tokIdent, src[i:j], i})
			i = j
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j <= 0 {
				return nil, fmt.Errorf("unterminated or empty `identifier` at offset %d", i)
			}
			toks = append(toks, token{tokIdent, src[i+1 : i+1+j], i})
			i += j + 2
		case c == '\'':
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, fmt.Errorf("string at offset %d: %v", i, err)
			}
			toks = append(toks, token{tokString, s, i})
			i += n
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && src[j+1] >= '0' && src[j+1] <= '9' {
				for j++; j < len(src) && src[j] >= '0' && src[j] <= '9'; j++ {
				}
			}
			toks = append(toks, token{tokNumber, src[i:j], i})
			i = j
		case strings.HasPrefix(src[i:], "!="):
			toks = append(toks, token{tokPunct, "!=", i})
			i += 2
		case strings.IndexByte(".[]()=", c) >= 0:
			toks = append(toks, token{tokPunct, string(c), i})
			i++
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, fmt.Errorf("unsupported character %q at offset %d", r, i)
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// lexString reads a single-quoted FHIRPath string at the start of s and
// returns its value and length in bytes.
func lexString(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '\'' {
			return b.String(), i + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i++; i == len(s) {
			break
		}
		switch e := s[i]; e {
		case '\'', '"', '`', '\\', '/':
			b.WriteByte(e)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 >= len(s) {
				return "", 0, fmt.Errorf("short \\u escape")
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				return "", 0, fmt.Errorf("bad \\u escape %q", s[i+1:i+5])
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			return "", 0, fmt.Errorf("unknown escape \\%c", e)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}
