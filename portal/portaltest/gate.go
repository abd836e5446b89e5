package portaltest

import "sync"

// Gate holds an issuance at one of est.Handler's failpoints ("received",
// "committed") so a test can interrupt the client there. Pass Gate.Point
// as Options.ESTFailpoint; Arm it for the next request that passes point.
type Gate struct {
	mu      sync.Mutex
	point   string
	reached chan struct{}
	release chan struct{}
}

// Point is the est.Handler.Failpoint hook.
func (g *Gate) Point(point string) {
	g.mu.Lock()
	if g.point != point {
		g.mu.Unlock()
		return
	}
	g.point = ""
	reached, release := g.reached, g.release
	g.mu.Unlock()
	close(reached)
	<-release
}

// Arm makes the next request that passes point stop there. It returns a
// channel closed when one did, and release, which lets it go on.
func (g *Gate) Arm(point string) (reached <-chan struct{}, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.point = point
	g.reached, g.release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	rel := g.release
	return g.reached, func() { once.Do(func() { close(rel) }) }
}
