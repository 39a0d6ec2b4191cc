// The vulnerability scanner the builder installs into its cache (GO_BUILDER_VULNCHECK):
// govulncheck from golang.org/x/vuln, pinned with its module graph's checksums.
// Rust embeds this file and go.sum; `go build golang.org/x/vuln/cmd/govulncheck`
// here builds exactly what the builder builds.
module acme.dev/go-builder/tools/govulncheck

go 1.26.0

require golang.org/x/vuln v1.9.0

require (
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/telemetry v0.0.0-20261010193011-f71dc92da45e // indirect
	golang.org/x/tools v0.52.0 // indirect
)
