package ui

import (
	"slices"

	"github.com/certrenew/certrenew/wasm/bridge"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func (r *Root) saveSettings(ctx app.Context, v bridge.SettingValues) {
	if r.conn != nil {
		_ = r.conn.Send(bridge.Message{Kind: bridge.KindSetSettings, Values: &v})
	}
}

func (r *Root) checkExpiry(ctx app.Context) {
	if r.conn != nil {
		_ = r.conn.Send(bridge.Message{Kind: bridge.KindCheckExpiry})
	}
}

// setMuted turns the expiry reminders of one certificate off or on.
func (r *Root) setMuted(ctx app.Context, certID string, muted bool) {
	if r.conn != nil {
		_ = r.conn.Send(bridge.Message{Kind: bridge.KindMute, CertID: certID, Muted: muted})
	}
}

func (r *Root) mutedCerts() map[string]bool {
	if r.settings == nil {
		return nil
	}
	return r.settings.Muted
}

// allowedBackends are the key backends the enroll form offers: those
// policy allows ("auto" and the ones the host reported in its hello).
func (r *Root) allowedBackends() []string {
	if r.settings == nil {
		return nil
	}
	var out []string
	for _, b := range r.settings.Values.AllowedBackends {
		if b == "auto" || slices.Contains(r.settings.HostBackends, b) {
			out = append(out, b)
		}
	}
	return out
}

// warnDays is when a certificate shows as expiring: the largest of the
// extension's warning days (policy, the options page, or the default
// 30, 14, 7, 3, 1), which the badge and notifications use too; the host's
// own threshold only until the settings arrive.
func (r *Root) warnDays() int {
	if r.settings != nil && len(r.settings.Values.WarningDays) > 0 {
		return slices.Max(r.settings.Values.WarningDays)
	}
	if r.list != nil {
		return r.list.WarnDays
	}
	return 0
}
