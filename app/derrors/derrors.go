// Package derrors defines the sentinel errors every domain package wraps, so
// the HTTP and job edges can map them to a status code in one place.
package derrors

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Wrap them with fmt.Errorf("%w: ...", derrors.NotFound).
var (
	NotFound        = errors.New("not found")
	InvalidArgument = errors.New("invalid argument")
	Unauthorized    = errors.New("unauthorized")
	Forbidden       = errors.New("forbidden")
	Conflict        = errors.New("conflict")
	TooLarge        = errors.New("request too large")
	Unavailable     = errors.New("temporarily unavailable")
	RateLimited     = errors.New("rate limited")
)

// FieldError is bad input in one named field: what was wrong and what to do.
type FieldError struct {
	Field   string
	Problem string
	Fix     string
}

func (e *FieldError) Error() string {
	s := e.Field + ": " + e.Problem
	if e.Fix != "" {
		s += " (" + e.Fix + ")"
	}
	return s
}

// Unwrap makes every FieldError an InvalidArgument.
func (e *FieldError) Unwrap() error { return InvalidArgument }

// Invalid returns a FieldError.
func Invalid(field, problem, fix string) error {
	return &FieldError{Field: field, Problem: problem, Fix: fix}
}

// Fields collects several FieldErrors.
type Fields []*FieldError

func (fs Fields) Error() string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap makes Fields an InvalidArgument.
func (fs Fields) Unwrap() error { return InvalidArgument }

// Err returns nil when there are no field errors.
func (fs Fields) Err() error {
	if len(fs) == 0 {
		return nil
	}
	return fs
}

// Wrapf wraps err with a formatted prefix, keeping it matchable.
func Wrapf(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(a, err)...)
}
