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
	queued []Queued // what early.js's port received, until Connect returns
	port   app.Value
	onMsg  app.Func
	onDisc app.Func
}

// Connect opens the port, or adopts the one early.js opened, and returns
// it with the messages that port received before the page could take them
// (the worker's state among them), undecoded: the caller handles those
// itself, in order and before any that come later, which handle gets.
func Connect(handle func(Message)) (*Conn, []Queued, error) {
	c := &Conn{handle: handle}
	if err := c.connect(); err != nil {
		return nil, nil, err
	}
	queued := c.queued
	c.queued = nil
	return c, queued, nil
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
	if c.onMsg == nil {
		c.onMsg = app.FuncOf(func(this app.Value, args []app.Value) any {
			if len(args) > 0 {
				c.receive(args[0])
			}
			return nil
		})
		c.onDisc = app.FuncOf(func(this app.Value, args []app.Value) any {
			// The worker went away (updated or restarted). The next send
			// reconnects; the worker then sends its state again.
			c.port = nil
			return nil
		})
	}
	if c.adoptEarly() {
		return nil
	}
	port := runtime.Call("connect", map[string]any{"name": PortName})
	port.Get("onMessage").Call("addListener", c.onMsg)
	port.Get("onDisconnect").Call("addListener", c.onDisc)
	c.port = port
	return nil
}

// EarlyPortVar is the global through which extension/early.js hands over
// the port it opened before the WASM was fetched: {port, queue, onMessage,
// onDisconnect, disconnected, taken, adopted}.
const EarlyPortVar = "certrenewEarlyPort"

// adoptEarly takes over early.js's port, if it is still open, and keeps
// the messages it queued (the worker's state among them) for Connect. Only
// once: "taken" is set, so a reconnect opens a new port; "adopted" says the
// port was still open and is now the UI's.
func (c *Conn) adoptEarly() bool {
	early := app.Window().Get(EarlyPortVar)
	if !early.Truthy() || early.Get("taken").Truthy() {
		return false
	}
	early.Set("taken", true)
	if early.Get("disconnected").Truthy() {
		return false
	}
	early.Set("onMessage", c.onMsg)
	early.Set("onDisconnect", c.onDisc)
	early.Set("adopted", true)
	c.port = early.Get("port")
	queue := early.Get("queue")
	early.Set("queue", app.Null())
	for i := 0; i < queue.Length(); i++ {
		c.queued = append(c.queued, Queued{queue.Index(i)})
	}
	return true
}

// receive decodes one message from the worker and hands it to the page.
func (c *Conn) receive(v app.Value) {
	if m, ok := decode(v); ok {
		c.handle(m)
	}
}

func decode(v app.Value) (Message, bool) {
	s := app.Window().Get("JSON").Call("stringify", v).String()
	var m Message
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		app.Log("certrenew: bad message from worker:", err)
		return Message{}, false
	}
	return m, true
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
