// Package interop holds tests only: certrenew against an independent EST
// implementation, github.com/globalsign/est v1.0.6 (RFC 7030), in both
// directions — its client against certrenew-portal, and certrenew-host's
// engine against its server.
package interop
