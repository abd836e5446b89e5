package listing

import "github.com/certrenew/certrenew/host/proto"

// Cert is id as it crosses the wire: the one conversion, used by
// host/commands and host/front alike.
func Cert(id Identity) proto.Cert {
	return proto.Cert{
		ID:        id.ID,
		Subject:   id.Subject,
		Issuer:    id.Issuer,
		Serial:    id.Serial,
		NotBefore: id.NotBefore,
		NotAfter:  id.NotAfter,
		DaysLeft:  id.DaysLeft,
		Status:    string(id.Status),
		Backend:   id.Backend,
		Portal:    id.Portal,
		User:      id.User,
		SHA256:    id.SHA256,
		Hardware:  id.Hardware,

		PortalUnreachableSince: id.PortalUnreachableSince,
	}
}

// Result is the list command's result for ids.
func Result(ids []Identity, warnDays int) *proto.ListResult {
	res := &proto.ListResult{Certs: make([]proto.Cert, 0, len(ids)), WarnDays: warnDays}
	for _, id := range ids {
		res.Certs = append(res.Certs, Cert(id))
	}
	return res
}
