// Package errcode gives errors the stable codes that AssoKit's pages
// translate (js/src/l10n.js errorText; French in l10n/fr.json). Each package
// declares its coded errors once, with New, next to its other errors; web
// maps a code to an HTTP status. It imports nothing of AssoKit.
package errcode

import (
	"errors"
	"slices"
)

// Codes shared by the errors of several packages.
const (
	NotFound   = "not_found"   // the thing asked for does not exist
	BadRequest = "bad_request" // the request is not what the endpoint reads
	Internal   = "internal"    // anything without a code of its own
)

// Error is an error with a stable code. Compare with errors.Is, as any
// sentinel error.
type Error struct {
	code, text string
}

// declared holds every error made by New. Package-level vars are set up
// before main runs, one package at a time, so it needs no lock.
var declared []*Error

// New returns an error whose text is text and whose code is code, and
// records it among the declared codes (Codes). Call it only to set a
// package-level var, once per error.
func New(code, text string) *Error {
	e := &Error{code: code, text: text}
	declared = append(declared, e)
	return e
}

func (e *Error) Error() string { return e.text }

// Code is the error's stable code.
func (e *Error) Code() string { return e.code }

// Is reports whether err matches (errors.Is) a declared error with this code.
func Is(err error, code string) bool {
	for _, e := range declared {
		if e.code == code && errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Codes lists, sorted and once each, the codes of every error declared in
// the packages linked into the program, and the shared ones.
func Codes() []string {
	out := []string{NotFound, BadRequest, Internal}
	for _, e := range declared {
		out = append(out, e.code)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
