package e2e

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrenew/certrenew/internal/testenv"
	"github.com/chromedp/chromedp"
)

// TestExtensionTrustsOwnPages: the extension trusts its own pages only.
//   - The renewal-link content script runs on the configured portals only,
//     registered by the worker when the portals are saved (no static
//     pattern such as https://*/*renew*): not on another https origin
//     whose path holds "renew" (the build has host access to every
//     127.0.0.1 port, so only the registration keeps it out); there once
//     that origin is saved as a portal too, and not once it is removed.
//   - The content script, although it is this extension, cannot open a UI
//     port (which runs host commands and hears every reply): the worker
//     disconnects it without a word, while the options page's port gets
//     the worker's state.
//   - Refused links do not flood the desktop: links refused again and
//     again from one origin raise one notification, and refusals from many
//     origins at most three at a time.
func TestExtensionTrustsOwnPages(t *testing.T) {
	testenv.Need(t, "chromium")
	u := newUser(t) // no host: the worker answers UI ports without it
	portal, other := renewServer(t), renewServer(t)
	browser := u.browserLang(t, "en", "ignore-certificate-errors")
	opt, closeOpt := openExt(t, browser, "options.html")
	defer closeOpt()
	w := worker(t, browser)

	// A port from the extension's own page gets the worker's state.
	if got := eval[string](t, opt, "options page port", uiPortProbe); got != "message:state" {
		t.Fatalf("the options page's UI port: %s", got)
	}

	// Save asks for access to the portal's host in the click (a user
	// gesture, or Chrome refuses); the build's host_permissions hold it, so
	// it is granted without a prompt.
	recordPermissionRequests(t, opt)
	savePortals(t, opt, w, portal.URL)
	if got := poll[string](t, opt, "permission asked", `self.__asked.length && self.__asked[0].result !== "pending" && JSON.stringify(self.__asked)`); got != `[{"origins":["https://127.0.0.1/*"],"result":"true"}]` {
		t.Fatalf("Save asked for host access %s, want https://127.0.0.1/* granted", got)
	}
	// On the portal (only the content-script path): the link is handed.
	pctx, closeP := tab(t, browser)
	defer closeP()
	world := contentWorlds(t, pctx, portal.link(newLinkToken(t), "0a1b", userID)+"?only=content")
	run(t, pctx, "content-script link", chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="handed"]`)))
	if len(world) != 1 {
		t.Fatalf("the portal page has %d content-script worlds of the extension, want 1", len(world))
	}
	// The content script asks for a UI port: refused.
	if got := evalIn(t, pctx, world[0], uiPortProbe); got != "disconnected" {
		t.Fatalf("a content script's UI port: %s, want disconnected", got)
	}

	// Another https origin with "renew" in its path: no content script.
	octx, closeO := tab(t, browser)
	defer closeO()
	if got := contentWorlds(t, octx, other.link(newLinkToken(t), "0a1b", userID)+"?only=content"); len(got) != 0 {
		t.Fatalf("the content script runs on %s, which is not a configured portal", other.URL)
	}
	// Saved as a portal too, it gets the script (registered again).
	savePortals(t, opt, w, portal.URL, other.URL)
	o2, closeO2 := tab(t, browser)
	defer closeO2()
	if got := contentWorlds(t, o2, other.link(newLinkToken(t), "0a1b", userID)+"?only=content"); len(got) != 1 {
		t.Fatalf("after saving %s as a portal: %d content-script worlds, want 1", other.URL, len(got))
	}
	run(t, o2, "link on the new portal", chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="handed"]`)))
	// Removed again, it loses it.
	savePortals(t, opt, w, portal.URL)
	o3, closeO3 := tab(t, browser)
	defer closeO3()
	if got := contentWorlds(t, o3, other.link(newLinkToken(t), "0a1b", userID)+"?only=content"); len(got) != 0 {
		t.Fatalf("after removing %s from the portals the content script still runs there", other.URL)
	}

	// Refused links (by externally_connectable, from origins that are not
	// portals): one notification per origin and reason, three at most.
	eval[bool](t, w, "record notifications", recordNotifications)
	eval[bool](t, w, "clear", `chrome.notifications.getAll().then(n => Promise.all(Object.keys(n).map(k => chrome.notifications.clear(k)))).then(() => true)`)
	strangers := []*fakePortal{renewServer(t), renewServer(t), renewServer(t), renewServer(t)}
	rctx, closeR := tab(t, browser)
	defer closeR()
	for i := 0; i < 5; i++ {
		run(t, rctx, "refused link "+strconv.Itoa(i),
			chromedp.Navigate(strangers[0].link(newLinkToken(t), "0a1b", userID)+"?only=external"),
			chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="refused"]`)))
	}
	if n := refusedShown(t, w); len(n) != 1 || !strings.HasSuffix(n[0], strangers[0].URL) {
		t.Fatalf("5 refused links from one origin: notifications %v, want one for %s", n, strangers[0].URL)
	}
	if c := eval[int](t, w, "creates", `self.__created.length`); c != 1 {
		t.Fatalf("5 refused links from one origin: %d notifications created, want 1", c)
	}
	for _, s := range strangers[1:] {
		run(t, rctx, "refused link from "+s.URL,
			chromedp.Navigate(s.link(newLinkToken(t), "0a1b", userID)+"?only=external"),
			chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="refused"]`)))
	}
	if n := refusedShown(t, w); len(n) != 3 {
		t.Fatalf("refused links from 4 origins: notifications %v, want 3 (the cap)", n)
	}
	// Dismissed, the origin may notify again.
	eval[bool](t, w, "clear one", `chrome.notifications.getAll().then(n => chrome.notifications.clear(Object.keys(n).find(k => k.startsWith("refused:") && k.endsWith(`+strconv.Quote(strangers[0].URL)+`))))`)
	run(t, rctx, "refused again", chromedp.Navigate(strangers[0].link(newLinkToken(t), "0a1b", userID)+"?only=external"),
		chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="refused"]`)))
	if n := refusedShown(t, w); len(n) != 3 {
		t.Fatalf("after one was dismissed and another refusal: notifications %v, want 3", n)
	}
}

// uiPortProbe opens a UI port and says what comes first: a message from
// the worker ("message:KIND") or the disconnect.
const uiPortProbe = `new Promise((resolve) => {
  const p = chrome.runtime.connect({name: "ui"});
  p.onMessage.addListener((m) => resolve("message:" + (m && m.kind)));
  p.onDisconnect.addListener(() => resolve("disconnected"));
  p.postMessage({kind: "getState"});
})`

// savePortals saves the portal URLs on the options page and waits until
// the worker has registered the content script for exactly their origins.
func savePortals(t *testing.T, opt, w context.Context, urls ...string) {
	t.Helper()
	text := strings.Join(urls, "\n")
	run(t, opt, "portals", chromedp.WaitVisible(chromedp.CSS("#set-portals")),
		chromedp.Evaluate[chromedp.Void](`(e => { e.value = `+strconv.Quote(text)+`; e.dispatchEvent(new Event("input", {bubbles: true})); })(document.getElementById("set-portals"))`),
		// The input hides the last "saved" note, which moves the button:
		// click it where it is then.
		chromedp.WaitNotPresent(chromedp.CSS("#settings-saved")),
		chromedp.Click(chromedp.CSS("#settings-save")),
		chromedp.WaitVisible(chromedp.CSS("#settings-saved")))
	var want []string
	for _, s := range urls {
		pu, _ := url.Parse(s)
		want = append(want, "https://"+pu.Host+"/*")
	}
	wantJSON, _ := json.Marshal(want)
	pollWorker[bool](t, w, "content script registered for "+text, `chrome.scripting.getRegisteredContentScripts().then(s =>
  s.length === 1 && JSON.stringify(s[0].matches.slice().sort()) === JSON.stringify(`+string(wantJSON)+`.sort()))`)
}

// refusedShown lists the refused-link notifications shown.
func refusedShown(t *testing.T, w context.Context) []string {
	t.Helper()
	return eval[[]string](t, w, "refused notifications", `chrome.notifications.getAll().then(n => Object.keys(n).filter(k => k.startsWith("refused:")).sort())`)
}

// contentWorlds navigates ctx's tab to u and returns the IDs of the
// JavaScript worlds the extension's content scripts run in there, once the
// page's #renew element is in the DOM. A content script at document_start
// has its world before that; to know every world made so far has been
// seen, the test makes a world of its own last and waits for it.
func contentWorlds(t *testing.T, ctx context.Context, u string) []int64 {
	t.Helper()
	barrier := "certrenew-test-" + hex.EncodeToString([]byte(time.Now().Format("150405.000000")))
	ids, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]int64, error) {
		ch, stop := tg.Subscribe("Runtime.executionContextCreated")
		defer stop()
		var (
			mu    sync.Mutex
			found []int64
			seen  []string
			done  = make(chan struct{})
		)
		go func() {
			for raw := range ch {
				var ev struct {
					Context struct {
						ID      int64  `json:"id"`
						Origin  string `json:"origin"`
						Name    string `json:"name"`
						AuxData struct {
							Type string `json:"type"`
						} `json:"auxData"`
					} `json:"context"`
				}
				if json.Unmarshal(raw, &ev) != nil {
					continue
				}
				c := ev.Context
				mu.Lock()
				seen = append(seen, c.AuxData.Type+" "+c.Name+" "+c.Origin)
				if c.Name == barrier {
					mu.Unlock()
					close(done)
					return
				}
				if c.AuxData.Type == "isolated" && strings.HasPrefix(c.Origin, "chrome-extension://"+extensionID) {
					found = append(found, c.ID)
				}
				mu.Unlock()
			}
		}()
		if _, err := chromedp.Navigate(u)(ctx, tg); err != nil {
			return nil, err
		}
		if _, err := chromedp.WaitReady(chromedp.CSS("#renew"))(ctx, tg); err != nil {
			return nil, err
		}
		var tree struct {
			FrameTree struct {
				Frame struct {
					ID string `json:"id"`
				} `json:"frame"`
			} `json:"frameTree"`
		}
		if err := tg.Call(ctx, "Page.getFrameTree", nil, &tree); err != nil {
			return nil, err
		}
		if err := tg.Call(ctx, "Page.createIsolatedWorld", map[string]any{"frameId": tree.FrameTree.Frame.ID, "worldName": barrier}, nil); err != nil {
			return nil, err
		}
		select {
		case <-done:
		case <-ctx.Done():
			mu.Lock()
			defer mu.Unlock()
			return nil, fmt.Errorf("the test's own world never appeared (worlds seen: %v)", seen)
		}
		mu.Lock()
		defer mu.Unlock()
		return found, nil
	})
	if err != nil {
		t.Fatalf("content-script worlds of %s: %v", u, err)
	}
	return ids
}

// evalIn evaluates a JavaScript expression (awaiting a promise, returning
// a string) in one world of ctx's page.
func evalIn(t *testing.T, ctx context.Context, world int64, expr string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (string, error) {
		var res struct {
			Result struct {
				Value any `json:"value"`
			} `json:"result"`
			ExceptionDetails *struct {
				Text string `json:"text"`
			} `json:"exceptionDetails"`
		}
		err := tg.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "contextId": world, "awaitPromise": true, "returnByValue": true}, &res)
		if err != nil {
			return "", err
		}
		if res.ExceptionDetails != nil {
			return "", fmt.Errorf("exception: %s", res.ExceptionDetails.Text)
		}
		return fmt.Sprint(res.Result.Value), nil
	})
	if err != nil {
		t.Fatalf("evaluating in the content script's world: %v", err)
	}
	return s
}

// TestContentScriptFromPolicy: portals set by policy (managed storage)
// get the content script at start, with nothing saved on the options page
// and no prompt (the build's host_permissions name them); another https
// page with "renew" in its path does not, until a changed policy names it
// while the browser runs.
func TestContentScriptFromPolicy(t *testing.T) {
	testenv.Need(t, "chromium")
	portal, other := renewServer(t), renewServer(t)
	file := managedPolicy(t, map[string]any{"portalURLs": []string{portal.URL}})
	u := newUser(t)
	browser := u.browserLang(t, "en", "ignore-certificate-errors")
	w := worker(t, browser)
	pu, _ := url.Parse(portal.URL)
	pollWorker[bool](t, w, "content script registered from policy", `chrome.scripting.getRegisteredContentScripts().then(s =>
  s.length === 1 && s[0].matches.join(" ") === `+strconv.Quote("https://"+pu.Host+"/*")+`)`)
	pctx, closeP := tab(t, browser)
	defer closeP()
	if got := contentWorlds(t, pctx, portal.link(newLinkToken(t), "0a1b", userID)+"?only=content"); len(got) != 1 {
		t.Fatalf("the policy's portal has %d content-script worlds, want 1", len(got))
	}
	run(t, pctx, "link on the policy's portal", chromedp.WaitVisible(chromedp.CSS(`#renew[data-state="handed"]`)))
	octx, closeO := tab(t, browser)
	defer closeO()
	if got := contentWorlds(t, octx, other.link(newLinkToken(t), "0a1b", userID)+"?only=content"); len(got) != 0 {
		t.Fatalf("the content script runs on %s, which policy does not name", other.URL)
	}
	// The policy changes while the browser runs (Chromium watches the
	// policy directory): the script is registered again, for both.
	data, _ := json.Marshal(map[string]any{"3rdparty": map[string]any{"extensions": map[string]any{extensionID: map[string]any{"portalURLs": []string{portal.URL, other.URL}}}}})
	if err := os.WriteFile(file+".tmp", data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(file+".tmp", file); err != nil {
		t.Fatal(err)
	}
	ou, _ := url.Parse(other.URL)
	want, _ := json.Marshal([]string{"https://" + ou.Host + "/*", "https://" + pu.Host + "/*"})
	pollWorker[bool](t, w, "content script registered again from the new policy", `chrome.scripting.getRegisteredContentScripts().then(s =>
  s.length === 1 && JSON.stringify(s[0].matches.slice().sort()) === JSON.stringify(`+string(want)+`.sort()))`)
	o2, closeO2 := tab(t, browser)
	defer closeO2()
	if got := contentWorlds(t, o2, other.link(newLinkToken(t), "0a1b", userID)+"?only=content"); len(got) != 1 {
		t.Fatalf("after the policy named %s: %d content-script worlds, want 1", other.URL, len(got))
	}
}
