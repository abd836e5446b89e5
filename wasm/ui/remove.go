package ui

// Root's side of ⁝ → Details and ⁝ → Remove.

import (
	"encoding/json"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func (r *Root) showDetails(ctx app.Context, c *proto.Cert) {
	r.selected = c
	show(r, screenDetails)
}

// labelOf is c's row label in the current list.
func (r *Root) labelOf(c *proto.Cert) string {
	if c == nil {
		return ""
	}
	if r.list != nil {
		labels := rowLabels(r.s, r.list.Certs)
		for i := range r.list.Certs {
			if r.list.Certs[i].ID == c.ID {
				return labels[i]
			}
		}
	}
	return commonName(c.Subject)
}

// remove asks the host to delete c and its key (confirmed in the list).
func (r *Root) remove(ctx app.Context, c *proto.Cert) {
	label := r.labelOf(c)
	if id, err := r.send(proto.CmdRemove, proto.RemoveParams{CertID: c.ID}); err != nil {
		r.showError(&proto.Error{Code: errcode.NoExtension, Detail: err.Error()}, screenList)
	} else {
		r.removeID, r.selected = id, c
		r.listStatus = ""
		r.pendingLabel = label
	}
	r.redraw()
}

// onRemoveReply handles the host's answer to a removal; it reports whether
// rep was one.
func (r *Root) onRemoveReply(ctx app.Context, rep *proto.Reply) bool {
	if r.removeID == "" || rep.ID != r.removeID || (rep.Type != proto.TypeResult && rep.Type != proto.TypeError) {
		return false
	}
	r.removeID = ""
	if rep.Type == proto.TypeError {
		r.showError(rep.Error, screenList)
		r.errCommand = proto.CmdRemove
		return true
	}
	var res proto.RemoveResult
	if err := json.Unmarshal(rep.Result, &res); err != nil {
		r.showError(&proto.Error{Code: errcode.BadResponse, Detail: err.Error()}, screenList)
		return true
	}
	if r.list != nil {
		kept := r.list.Certs[:0:0]
		for _, c := range r.list.Certs {
			if c.ID != res.CertID {
				kept = append(kept, c)
			}
		}
		r.list = &proto.ListResult{Certs: kept, WarnDays: r.list.WarnDays}
	}
	r.listStatus = r.s.X().Removed.With(r.pendingLabel)
	r.selected = nil
	r.screen = screenList
	r.refresh(ctx)
	return true
}
