package bridge

import (
	"encoding/json"
	"errors"

	"github.com/certrenew/certrenew/host/proto"
	"github.com/maxence-charriere/go-app/v9/pkg/app"
)

// ErrNoRuntime reports a page opened outside the extension, where
// chrome.runtime.connect does not exist.
var ErrNoRuntime = errors.New("chrome.runtime is not available")

// Conn is a UI page's port to the background worker. Its methods must be
// called from the UI goroutine. The handler passed to Connect runs on the
// JavaScript event loop and must not block: hand the message to a component
// with ctx.Dispatch.
type Conn struct {
	handle func(Message)
	port   app.Value
	onMsg  app.Func
	onDisc app.Func
}

// Connect opens the port and asks for the worker's state.
func Connect(handle func(Message)) (*Conn, error) {
	c := &Conn{handle: handle}
	if err := c.connect(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Conn) connect() error {
	runtime := app.Window().Get("chrome")
	if !runtime.Truthy() {
		return ErrNoRuntime
	}
	runtime = runtime.Get("runtime")
	if !runtime.Truthy() || !runtime.Get("connect").Truthy() {
		return ErrNoRuntime
	}
	port := runtime.Call("connect", map[string]any{"name": PortName})
	c.onMsg = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) == 0 {
			return nil
		}
		s := app.Window().Get("JSON").Call("stringify", args[0]).String()
		var m Message
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			app.Log("certrenew: bad message from worker:", err)
			return nil
		}
		c.handle(m)
		return nil
	})
	c.onDisc = app.FuncOf(func(this app.Value, args []app.Value) any {
		// The worker went away (updated or restarted). The next send
		// reconnects; the worker then sends its state again.
		c.port = nil
		return nil
	})
	port.Get("onMessage").Call("addListener", c.onMsg)
	port.Get("onDisconnect").Call("addListener", c.onDisc)
	c.port = port
	return nil
}

// Request sends r to the host through the worker.
func (c *Conn) Request(r proto.Request) error {
	return c.send(Message{Kind: KindRequest, Request: &r})
}

// RequestWithLink sends r with the renewal link whose token the worker
// adds to r's params.
func (c *Conn) RequestWithLink(r proto.Request, nonce string) error {
	return c.send(Message{Kind: KindRequest, Request: &r, LinkNonce: nonce})
}

// Send sends any other UI → worker message.
func (c *Conn) Send(m Message) error { return c.send(m) }

// GetState asks the worker to send its state.
func (c *Conn) GetState() error {
	return c.send(Message{Kind: KindGetState})
}

func (c *Conn) send(m Message) error {
	if c.port == nil {
		if err := c.connect(); err != nil {
			return err
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	// Structured clone of a parsed object, so the worker sees plain JSON.
	v := app.Window().Get("JSON").Call("parse", string(b))
	c.port.Call("postMessage", v)
	return nil
}
