package ui

// The host and worker side of Root: requests out, replies and worker state in.

import (
	"encoding/json"
	"strconv"

	"github.com/certrenew/certrenew/errcode"
	"github.com/certrenew/certrenew/host/proto"
	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// newIDPrefix starts the IDs of this page's requests: unique among the
// pages open at once. The browser's crypto.randomUUID, as Go's crypto/rand
// would also ask the browser, with 1.5 KB more of WASM.
func newIDPrefix() string {
	return "ui-" + app.Window().Get("crypto").Call("randomUUID").String() + "-"
}

func (r *Root) nextID() string {
	r.seq++
	return r.idPrefix + strconv.Itoa(r.seq)
}

func (r *Root) send(cmd string, params any) (string, error) {
	req := proto.Request{ID: r.nextID(), Command: cmd, Lang: r.s.Lang}
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return "", err
		}
		req.Params = b
	}
	if r.conn == nil {
		return "", bridge.ErrNoRuntime
	}
	return req.ID, r.conn.Request(req)
}

// sendOp is send for enroll and renew, which may carry a renewal link.
func (r *Root) sendOp(cmd string, params any) (string, error) {
	req := proto.Request{ID: r.nextID(), Command: cmd, Lang: r.s.Lang}
	b, err := json.Marshal(params)
	if err != nil {
		return "", err
	}
	req.Params = b
	return req.ID, r.sendWithLink(req)
}

func (r *Root) refresh(ctx app.Context) {
	id, err := r.send(proto.CmdList, nil)
	if err != nil {
		r.showError(&proto.Error{Code: errcode.NoExtension, Detail: err.Error()}, screenList)
		return
	}
	r.listID = id
}

func (r *Root) onMessage(ctx app.Context, m bridge.Message) {
	switch m.Kind {
	case bridge.KindState:
		if m.State != nil {
			r.onState(ctx, m.State)
		}
	case bridge.KindReply:
		if m.Reply != nil {
			if m.Reply.Type == proto.TypeHello && m.Reply.Hello != nil {
				r.hello = m.Reply.Hello
			}
			r.onDoctorReply(m.Reply)
			r.onRenewalAuthReply(m.Reply)
			r.onReply(ctx, m.Reply)
		}
	case bridge.KindLink:
		r.onLink(m.LinkInfo)
	case bridge.KindSettings:
		r.settings = m.Settings
	}
}

func (r *Root) onState(ctx app.Context, st *bridge.State) {
	r.hello, r.hostError = st.Hello, st.HostError
	if st.Hello != nil {
		r.tokenBackend = needsPIN(st.Hello.Backends)
	}
	if st.List != nil {
		r.list = st.List
		if r.screen == screenLoading {
			r.screen = screenList
		}
	}
	// The first state: ask for the settings, pick up an operation that
	// runs in the worker.
	if !r.attached {
		r.attached = true
		// Settings are asked for after the first state, so that the cached
		// list renders first (the popup's speed target).
		if r.conn != nil && r.screen != screenSettings {
			_ = r.conn.Send(bridge.Message{Kind: bridge.KindGetSettings})
		}
		// Re-attach to an enrollment or renewal that runs in the worker.
		if op := st.Op; op != nil && (r.screen == screenLoading || r.screen == screenList) {
			r.op = op
			r.selected = r.findCert(op.CertID)
			switch {
			case !op.Done:
				r.screen = screenProgress
			case op.Error != nil:
				r.showError(op.Error, screenList)
				r.errCommand = op.Command
			default:
				r.finish(ctx, op.Result)
			}
		}
	}
	r.followPortalLink()
	r.followLink()
}

func (r *Root) onReply(ctx app.Context, rep *proto.Reply) {
	if rep.Type == proto.TypeHello && rep.Hello != nil {
		r.tokenBackend = needsPIN(rep.Hello.Backends)
	}
	if r.onRemoveReply(ctx, rep) {
		return
	}
	switch {
	case rep.ID != "" && rep.ID == r.listID:
		if rep.Type == proto.TypeResult || rep.Type == proto.TypeError {
			r.listID = ""
		}
		switch rep.Type {
		case proto.TypeResult:
			var lr proto.ListResult
			if err := json.Unmarshal(rep.Result, &lr); err != nil {
				r.showError(&proto.Error{Code: errcode.BadResponse, Detail: err.Error()}, screenList)
				return
			}
			r.list = &lr
			if r.screen == screenLoading {
				r.screen = screenList
			}
			r.followLink()
			r.followPortalLink()
		case proto.TypeError:
			if r.screen == screenLoading || r.screen == screenList {
				r.showError(rep.Error, screenList)
			}
		}
	case r.op != nil && rep.ID == r.op.ID && !r.op.Done:
		switch rep.Type {
		case proto.TypeProgress:
			switch {
			case rep.Progress != nil && rep.Progress.Notice != nil:
				r.op.Notice = rep.Progress.Notice
			case rep.Progress != nil:
				r.op.Steps = append(r.op.Steps, rep.Progress.Step)
				if r.op.Notice != nil && r.op.Notice.Kind == proto.NoticeServerBusy {
					r.op.Notice = nil // the portal answered: no longer "retrying in N s"
				}
			}
		case proto.TypeResult:
			r.op.Done = true
			r.finish(ctx, rep.Result)
		case proto.TypeError:
			r.op.Done = true
			retry := screenPassword
			if r.op.Command == proto.CmdEnroll {
				retry = screenEnroll
			}
			if rep.Error != nil && rep.Error.Code == errcode.PasswordRequired && r.auth != nil {
				r.auth.policy, r.auth.forced = proto.RenewalAuthPassword, true // the retry asks for it
			}
			r.showError(rep.Error, retry)
			r.errCommand = r.op.Command
		}
	}
}

// finish shows the done screen for an operation's result and refreshes the
// list behind it.
func (r *Root) finish(ctx app.Context, result json.RawMessage) {
	// EnrollResult and RenewResult both carry the new cert as "cert".
	var res struct {
		Cert proto.Cert `json:"cert"`
	}
	if err := json.Unmarshal(result, &res); err != nil {
		r.showError(&proto.Error{Code: errcode.BadResponse, Detail: err.Error()}, screenList)
		return
	}
	r.done = &res.Cert
	r.screen = screenDone
	r.refresh(ctx)
}
