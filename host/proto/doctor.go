package proto

import (
	"time"

	"github.com/certrenew/certrenew/errcode"
)

// CmdDoctor asks the host for a diagnostics report (certrenew-host doctor).
// It has no params and changes nothing.
const CmdDoctor = "doctor"

// DoctorResult is the result of CmdDoctor. It holds no secrets: no
// passwords, PINs, tokens or keys, only what a help desk needs.
type DoctorResult struct {
	HostVersion string        `json:"hostVersion"`
	Protocol    string        `json:"protocol"`
	Executable  string        `json:"executable"`
	OS          string        `json:"os"`
	Backends    []DoctorCheck `json:"backends"`
	Tokens      []DoctorCheck `json:"tokens"`
	NSSDBs      []DoctorCheck `json:"nssDBs"`
	Portals     []DoctorCheck `json:"portals"`
	LastOp      *DoctorLastOp `json:"lastOp,omitempty"`
	// AutoRenewal says, per managed certificate, when it renews by itself
	// and why not (nothing runs: the policy is the one last learnt).
	AutoRenewal []AutoPlan `json:"autoRenewal"`
	Certs       int        `json:"certs"`
	Checked     time.Time  `json:"checked"`
}

// DoctorCheck is one item of the report: OK, or what is wrong in Detail.
// Status says the same in a word a UI can put in the user's language
// (Detail stays the technical text, in English).
type DoctorCheck struct {
	_      noCompare
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Status string `json:"status,omitempty"`
	// N is the number a status is about: keys (DoctorKeys) or the HTTP
	// status code (DoctorHTTPStatus).
	N int `json:"n,omitempty"`
}

// DoctorCheck statuses. A UI shows Detail for statuses it does not know.
const (
	DoctorAvailable    = "available"     // the backend makes keys
	DoctorKeys         = "keys"          // the backend holds Count keys
	DoctorNotInspected = "not_inspected" // the host did not look
	DoctorNSSReady     = "nss_ready"     // the NSS DB (cert9.db) is there
	DoctorNSSMissing   = "nss_missing"   // no cert9.db
	DoctorTLSVerified  = "tls_verified"  // verified TLS, /cacerts answered 200
	DoctorHTTPStatus   = "http_status"   // verified TLS, /cacerts answered N
	DoctorFailed       = "failed"        // Detail is the error
)

// DoctorLastOp is the last enrollment or renewal the host ran.
type DoctorLastOp struct {
	_       noCompare
	Command string       `json:"command"`
	CertID  string       `json:"certId,omitempty"`
	At      time.Time    `json:"at"`
	OK      bool         `json:"ok"`
	Code    errcode.Code `json:"code,omitempty"`
}
