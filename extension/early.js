// early.js runs in the UI pages (popup.html, app.html, options.html) first
// thing in app.js (wasm/cmd/genext puts it there), before the WASM is
// fetched and compiled. It opens the page's port to the background worker
// at once, so the worker's state (the cached certificate list) has arrived
// by the time the go-app UI mounts, instead of being asked for afterwards. The UI adopts this port
// (wasm/bridge: Conn.connect) and drains what it queued; a page whose UI
// never adopts it loses nothing, the worker just has one more idle port.
(() => {
  "use strict";
  const rt = globalThis.chrome && chrome.runtime;
  if (!rt || typeof rt.connect !== "function") return;
  let port;
  try {
    port = rt.connect({ name: "ui" });
  } catch (e) {
    return; // the extension context is gone; the UI reports it itself
  }
  const early = { port, queue: [], onMessage: null, onDisconnect: null, disconnected: false, taken: false, adopted: false };
  port.onMessage.addListener((m) => {
    if (early.onMessage) early.onMessage(m);
    else early.queue.push(m);
  });
  port.onDisconnect.addListener(() => {
    early.disconnected = true;
    if (early.onDisconnect) early.onDisconnect();
  });
  globalThis.certrenewEarlyPort = early;
})();

// certrenewAfterPaint(cb) calls cb once, after the browser has painted the
// next frame (an animation frame, then a task), or after 100 ms where no
// frame comes (a hidden page gets none). The UI (wasm/ui, Root.OnMount)
// leaves work that the first paint does not need until then.
globalThis.certrenewAfterPaint = (cb) => {
  let done = false;
  const run = () => {
    if (!done) {
      done = true;
      cb();
    }
  };
  requestAnimationFrame(() => setTimeout(run, 0));
  setTimeout(run, 100);
};
