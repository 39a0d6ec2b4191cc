// Public API of @acme/go-builder: the Vercel builder API, version 3,
// with the same signatures as @vercel/go.
import type {
  BuildV3,
  PrepareCache,
  ShouldServe,
  StartDevServer,
} from '@vercel/build-utils'

export declare const version: 3

/** Builds a Go handler (`api/*.go`) or, with `framework: "go"`, a standalone server. */
export declare const build: BuildV3

/** Starts a dev server for one Go handler or the project's standalone server. */
export declare const startDevServer: StartDevServer

/** Files under `.vercel/cache/golang/**` to keep between builds. */
export declare const prepareCache: PrepareCache

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
