// Public API of @acme/go-builder: the Vercel builder API, version 3,
// with the same signatures as @vercel/go.
import type {
  BuildV3,
  DetectEntrypointFn,
  Diagnostics,
  GetDevManifest,
  PrepareCache,
  ShouldServe,
  StartDevServer,
} from '@vercel/build-utils'

export declare const version: 3

/** Builds a Go handler (`api/*.go`) or, with `framework: "go"`, a standalone server. */
export declare const build: BuildV3

/** Starts a dev server for one Go handler or the project's standalone server. */
export declare const startDevServer: StartDevServer

/**
 * What the next deploy keeps: `.vercel/cache/golang/**` (a downloaded Go SDK)
 * and `.vercel/cache/go/**` (Go's build and module caches, compiled helpers,
 * kept programs), within `GO_BUILDER_CACHE_MAX_MB`.
 */
export declare const prepareCache: PrepareCache

/**
 * What the CLI collects after a build: the package manifest (`package-manifest.json`:
 * the Go version asked for and used, and the modules the function is built from) and
 * the function's CycloneDX SBOM from that build (`go/sbom/<function>.cdx.json`).
 */
export declare const diagnostics: Diagnostics

/** The services layout's Go entrypoint in `workPath`: `main.go`, `cmd/api/main.go` or `cmd/server/main.go`. */
export declare const detectEntrypoint: DetectEntrypointFn

/**
 * `vercel dev`'s discovery of this builder entry's Go functions (each
 * invoked through its entrypoint, with its `functions` entry's
 * `experimentalTriggers`, e.g. a queue consumer) and the `functions`
 * patterns they matched. A standalone server is served through
 * `startDevServer` and lists no function.
 */
export declare const getDevManifest: GetDevManifest

/** `true` for `framework` `go`/`services`, else the build-utils default. */
export declare const shouldServe: ShouldServe

/**
 * The standalone entrypoint: `configuredEntrypoint` when it exists, else the
 * first of `main.go`, `cmd/api/main.go`, `cmd/server/main.go`; `null` if none.
 */
export declare function detectGoEntrypoint(
  workPath: string,
  configuredEntrypoint?: string,
): Promise<string | null>

/** `Handler` in `api/index.go` → `Handler_api_index_go`. */
export declare function getNewHandlerFunctionName(
  originalFunctionName: string,
  entrypoint: string,
): string
