package ui

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// backendField is the key storage choice of the enroll form, limited to
// the backends policy allows (settings allowedBackends; hardwareRequired
// removes "soft"). Nothing is shown when only one is allowed.
func (v *enrollView) backendField() app.UI {
	if len(v.Backends) < 2 {
		return nil
	}
	names := v.S.More().BackendNames
	if v.backend == "" {
		v.backend = v.Backends[0]
	}
	return app.Elem("div").Class("field").Body(
		app.Elem("label").Attr("for", "enroll-backend").Text(v.S.More().KeyStorage),
		app.Elem("select").ID("enroll-backend").Class("select").
			OnChange(func(ctx app.Context, e app.Event) { v.backend = ctx.JSSrc().Get("value").String() }).
			Body(app.Range(v.Backends).Slice(func(i int) app.UI {
				b := v.Backends[i]
				return app.Elem("option").Attr("value", b).Attr("selected", b == v.backend).Text(names[b])
			})),
	)
}

// chosenBackend is the backend for the enroll request.
func (v *enrollView) chosenBackend() string {
	if len(v.Backends) == 1 {
		return v.Backends[0]
	}
	if v.backend == "" {
		return "auto"
	}
	return v.backend
}
