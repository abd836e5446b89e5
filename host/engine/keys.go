package engine

import "github.com/certrenew/certrenew/hsm"

// Keys is the engine's key backend registry (for diagnostics).
func (e *Engine) Keys() *hsm.Registry { return e.cfg.Keys }
