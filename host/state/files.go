package state

// The names of the files in the state directory that the engine and
// host/front both read.
const (
	// CertsFile is the list of managed certificates (File).
	CertsFile = "certs.json"
	// ReachFileName is portal reachability (ReachFile).
	ReachFileName = "portals.json"
)
