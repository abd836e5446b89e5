package bridge

// noCompare makes a struct incomparable, so that no equality function is
// compiled into the WASM for it: see proto's noCompare.
type noCompare [0]func()
