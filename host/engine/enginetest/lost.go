package enginetest

// LostRow is one way a renewal loses its answer (the matrix of issue 18):
// the host killed or its connection to the portal cut at one point. The
// host binary's test runs every row against the real NSS database; the
// engine's test runs the Backends rows with each key backend.
type LostRow struct {
	Name string
	// HostPoint is a host failpoint (engine.Config.Failpoint) to kill at,
	// or, with Cut, to hold at while the connection breaks.
	HostPoint string
	// PortalPoint is a portal failpoint (est.Handler.Failpoint) to hold
	// the issuance at while the host is killed or its connection cut.
	PortalPoint string
	Cut         bool
	// Heal: the proxy heals at once after the cut (a retry in the same
	// run gets through); otherwise it stays down until the next start.
	Heal bool
	// Late: killed while the portal holds the request, the host starts
	// again before the portal goes on (the request arrives late).
	Late bool
	// Renewed: the host ends with the certificate the portal issued.
	Renewed bool
	// Backends: the engine's test repeats the row with each key backend.
	Backends bool
}

// Pending reports whether the row leaves the journal at submitted: the
// host does not know what the portal did until it asks again.
func (r LostRow) Pending() bool {
	return r.HostPoint == "submitted" || r.HostPoint == "answered" || (r.PortalPoint != "" && !r.Heal)
}

// LostRows is the matrix.
var LostRows = []LostRow{
	{Name: "kill/before-sending", HostPoint: "submitted", Backends: true},
	{Name: "kill/after-sending", PortalPoint: "received", Renewed: true, Backends: true},
	{Name: "kill/after-sending-arrives-late", PortalPoint: "received", Late: true},
	{Name: "kill/after-portal-commit", PortalPoint: "committed", Renewed: true, Backends: true},
	{Name: "kill/after-answer", HostPoint: "answered", Renewed: true, Backends: true},
	{Name: "kill/issued", HostPoint: "issued", Renewed: true},
	{Name: "kill/during-install", HostPoint: "installing", Renewed: true, Backends: true},
	{Name: "kill/installed", HostPoint: "installed", Renewed: true},
	{Name: "kill/verified", HostPoint: "verified", Renewed: true},
	{Name: "kill/cleaning", HostPoint: "cleaning", Renewed: true},
	{Name: "kill/before-confirm", HostPoint: "confirming", Renewed: true, Backends: true},
	{Name: "cut/before-sending", HostPoint: "submitted", Cut: true, Backends: true},
	{Name: "cut/after-sending", PortalPoint: "received", Cut: true, Renewed: true, Backends: true},
	{Name: "cut/after-portal-commit", PortalPoint: "committed", Cut: true, Renewed: true, Backends: true},
	{Name: "cut/after-portal-commit-retry", PortalPoint: "committed", Cut: true, Heal: true, Renewed: true, Backends: true},
	{Name: "cut/after-answer", HostPoint: "answered", Cut: true, Renewed: true, Backends: true},
	{Name: "cut/during-install", HostPoint: "installing", Cut: true, Renewed: true},
	{Name: "cut/before-confirm", HostPoint: "confirming", Cut: true, Renewed: true, Backends: true},
}
