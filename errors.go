package shmcast

import "errors"

// Errors are either temporary, when the same operation may succeed if tried
// again (a producer that has not started yet, a full disk, a dropped
// connection), or fatal (a corrupt segment, a bug, bad configuration). Any
// error that does not say otherwise is fatal. Packages mark temporary errors
// with [Temporary]; callers test with [IsTemporary] and count consecutive
// failures with an [Escalator].

// Temporary wraps err to mark it temporary. It returns nil for nil.
// errors.Is and errors.As see through the wrapper.
func Temporary(err error) error {
	if err == nil {
		return nil
	}
	return &temporaryError{err}
}

type temporaryError struct{ err error }

func (e *temporaryError) Error() string   { return e.err.Error() }
func (e *temporaryError) Unwrap() error   { return e.err }
func (e *temporaryError) Temporary() bool { return true }

// IsTemporary reports whether any error in err's tree has a method
// Temporary() bool that returns true, as errors made by [Temporary] do.
func IsTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// DefaultEscalation is the number of consecutive temporary errors after which
// an [Escalator] with a zero Limit treats the next one as fatal.
const DefaultEscalation = 10

// An Escalator turns a run of temporary errors into a fatal one: a stage that
// keeps failing "temporarily" is broken. The zero value is ready to use. An
// Escalator is not safe for concurrent use; each stage owns one.
type Escalator struct {
	Limit int // consecutive temporary errors tolerated; 0 means DefaultEscalation

	run int
}

// Fatal records the outcome of one operation and reports whether the caller
// must give up: err is fatal, or it is the Limit-th temporary error in a row.
// A nil err resets the count and returns false.
func (e *Escalator) Fatal(err error) bool {
	if err == nil {
		e.run = 0
		return false
	}
	if !IsTemporary(err) {
		return true
	}
	e.run++
	limit := e.Limit
	if limit <= 0 {
		limit = DefaultEscalation
	}
	return e.run >= limit
}

// Consecutive returns the length of the current run of temporary errors.
func (e *Escalator) Consecutive() int { return e.run }
