// Package proto is the wire contract between the certrenew UI (the
// extension's background worker and the go-app WASM app) and certrenew-host.
//
// It imports only the standard library and errcode (which imports only the
// standard library) so that the WASM build stays small. Its error codes and
// their texts are errcode's.
//
// A session is a sequence of frames (see [ReadFrame], [WriteFrame]). The host
// speaks first with a [Hello] reply carrying its protocol [Version]; the
// extension's background worker, which owns the native port, compares the
// major before relaying any request (extension/background.js, kept equal to
// Version by a test); [CheckVersion] is the same rule for Go peers. Each [Request] carries an ID
// that the host echoes on every [Reply] for it: zero or more progress replies,
// then exactly one result or error reply.
//
// See https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging
// for the framing the browser imposes.
package proto
