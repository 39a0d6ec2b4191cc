// The builder's own Go programs. Rust embeds these sources into the addon and
// compiles them on first use; this go.mod only lets developers vet them here.
module acme.dev/go-builder/go

go 1.21
