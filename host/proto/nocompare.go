package proto

// noCompare, as the first field of a struct, makes the struct
// incomparable (== does not compile), as protobuf-go's DoNotCompare does.
// It takes no space and json ignores it. It is on the types the
// extension's WASM UI decodes or sends: Go compiles an equality function
// for every comparable struct type that has type data, and the UI
// downloads and compiles each (~1 KB with its tables) at every popup open
// while nothing compares these messages. Nothing may: compare the fields.
type noCompare [0]func()
