package ui

// The password step asks the host first what the renewal takes (the
// portal's renewal-auth policy, issue 13): under "certificate" it asks for
// no password.

import (
	"encoding/json"

	"github.com/certrenew/certrenew/host/proto"
)

// renewalAuthState is one CmdRenewalAuth question for the selected cert.
type renewalAuthState struct {
	_          noCompare
	certID, id string
	// policy is "" while the host is asked, then proto.RenewalAuthPassword
	// or proto.RenewalAuthCertificate. Anything but a clear
	// "certificate" (an error, an older host) is "password": the UI then
	// asks, as it always did.
	policy string
	// forced: a renewal of certID without the password was refused
	// (password_required), so its next try asks whatever the host says.
	forced bool
}

// askRenewalAuth asks the host what renewing the selected cert takes, each
// time the password step opens (the policy can change). A renewal by link
// always asks for the password (the portal wants it with the link's
// token), so it is not asked.
func (r *Root) askRenewalAuth() {
	c := r.selected
	if c == nil || r.link != nil {
		r.auth = &renewalAuthState{policy: proto.RenewalAuthPassword}
		return
	}
	if r.auth != nil && r.auth.certID == c.ID && r.auth.forced {
		r.auth.policy = proto.RenewalAuthPassword
		return
	}
	r.auth = &renewalAuthState{certID: c.ID, policy: proto.RenewalAuthPassword}
	id, err := r.send(proto.CmdRenewalAuth, proto.RenewalAuthParams{CertID: c.ID})
	if err != nil {
		return
	}
	r.auth.id, r.auth.policy = id, ""
}

// onRenewalAuthReply takes the host's answer.
func (r *Root) onRenewalAuthReply(rep *proto.Reply) bool {
	a := r.auth
	if a == nil || a.id == "" || rep.ID != a.id || (rep.Type != proto.TypeResult && rep.Type != proto.TypeError) {
		return false
	}
	a.id, a.policy = "", proto.RenewalAuthPassword
	var res proto.RenewalAuthResult
	if rep.Type == proto.TypeResult && json.Unmarshal(rep.Result, &res) == nil &&
		res.CertID == a.certID && res.RenewalAuth == proto.RenewalAuthCertificate {
		a.policy = proto.RenewalAuthCertificate
	}
	return true
}

// renewalAuthPolicy is the selected cert's policy as the password step
// shows it: "" while asked.
func (r *Root) renewalAuthPolicy() string {
	if r.auth == nil || r.selected == nil || (r.auth.certID != r.selected.ID && r.link == nil) {
		return ""
	}
	return r.auth.policy
}
