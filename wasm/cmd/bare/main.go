// Command bare is the benchmark baseline page; see package bare.
package main

import (
	"github.com/certrenew/certrenew/wasm/bare"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

func main() {
	bare.Routes()
	app.RunWhenOnBrowser()
}
