'use strict';

// The one entry point of the test helpers: `require('./helpers')` from a
// test file. Each module below holds one topic; a name exported by two of
// them is an error, so every helper has exactly one implementation.

const modules = {
  fixtures: require('./fixtures'), // temp dirs, fixture copies, file edits
  tree: require('./tree'), // tree snapshots: "the user's tree is unchanged"
  build: require('./build'), // build() on a fixture copy: must succeed, must fail
  lambda: require('./lambda'), // Lambda fields by mode, materialize, invoke through fun
  elf: require('./elf'), // ELF inspection of built binaries
  fun: require('./fun'), // running a handler Lambda directory with @vercel/fun
  http: require('./http'), // HTTP requests to 127.0.0.1, free ports
  websocket: require('./websocket'), // a WebSocket client: upgrade, frames
  ipcPlatform: require('./ipc-platform'), // playing the platform for a standalone `executable`
  uuid: require('./uuid'), // name-based UUIDs, computed independently of Go
  processes: require('./processes'), // /proc: process table, groups, waiting
  dev: require('./dev'), // startDevServer() runs and the processes they start
  vercelCli: require('./vercel-cli'), // the real `vercel build`
  routes: require('./routes'), // resolving a request through Build Output API routes
  output: require('./output'), // the build log as the CLI captures it
  vulndb: require('./vulndb'), // a vulnerability database in the GOVULNDB layout, on disk or served
  minio: require('./minio'), // a real S3-compatible server on loopback, a proxy to cut it
  dap: require('./dap'), // a Debug Adapter Protocol client (an editor attached to Delve)
};

const helpers = {};
for (const [moduleName, exported] of Object.entries(modules)) {
  for (const [name, value] of Object.entries(exported)) {
    if (Object.prototype.hasOwnProperty.call(helpers, name)) {
      throw new Error(`helpers: ${name} is exported twice (again by ${moduleName})`);
    }
    helpers[name] = value;
  }
}

module.exports = helpers;
