package ui

import (
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

var backendTpl = tpl{src: `<div class=field>
<label for=enroll-backend>{label}</label>
<select id=enroll-backend class=select @change=backend>{*options}</select>
</div>`}

var optionTpl = tpl{src: `<option value={b} selected={selected}>{name}</option>`}

// backendField is the key storage choice of the enroll form, limited to
// the backends policy allows (settings allowedBackends; hardwareRequired
// removes "soft"). Nothing is shown when only one is allowed.
func (v *enrollView) backendField() app.UI {
	if len(v.Backends) < 2 {
		return nil
	}
	if v.backend == "" {
		v.backend = v.Backends[0]
	}
	return backendTpl.ui(v, "label", v.S.More().KeyStorage)
}

func (v *enrollView) backendOptions() app.UI {
	names := v.S.More().BackendNames
	out := make([]app.UI, len(v.Backends))
	for i, b := range v.Backends {
		out[i] = optionTpl.ui(v, "b", b, "selected", boolAttr(b == v.backend), "name", names.Of(b))
	}
	return group(out...)
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
