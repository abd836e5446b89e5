// Command wasm is the certrenew extension UI, built with GOOS=js
// GOARCH=wasm into the extension's web/app.wasm.
package main

import (
	"github.com/certrenew/certrenew/wasm/ui"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	ui.Routes()
	app.RunWhenOnBrowser()
}
