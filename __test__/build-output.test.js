'use strict';

// What a user sees while a build runs: the build log goes through Node's
// stdout (where the CLI captures it), one "Using Go" line comes before any
// work, the output of `go build` and of a buildCommand arrives line by line
// while they run (not after, not only on failure), and each function ends
// with one summary line.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { copyFixture, runBuild, tempDir, removeTempDirs, writeFiles, recordStdout } = require('./helpers');

after(() => removeTempDirs());

/** A -toolexec wrapper that holds the link step for `seconds`. */
function slowLinker(seconds) {
  const dir = tempDir('slow-link');
  writeFiles(dir, {
    'toolexec.sh': `#!/bin/sh\ncase "$1" in */link) sleep ${seconds};; esac\nexec "$@"\n`,
  });
  const script = path.join(dir, 'toolexec.sh');
  fs.chmodSync(script, 0o755);
  return script;
}

describe('build output', { skip: process.platform === 'win32' && 'the link-delay wrapper is a shell script' }, () => {
  it('"Using Go" comes first, go build output streams while it runs, one summary line ends the function', async () => {
    const ws = copyFixture('handler/basic');
    // -x makes go build print its work as it goes; the wrapper holds the
    // link for 2 s, so a line that was streamed arrives well before the end.
    const flags = `-x -toolexec=${slowLinker(2)} -ldflags "-s -w"`;
    const { result, lines, done } = await recordStdout(() =>
      runBuild(ws, { entrypoint: 'api/index.go', env: { GO_BUILD_FLAGS: flags } }),
    );
    if (result.error) throw result.error;
    assert.equal(result.diff, '', 'the user\'s tree is unchanged');

    assert.match(lines[0].line, /^Using Go \d+\.\d+/, `first line: ${lines[0].line}`);
    const work = lines.find((l) => /^WORK=/.test(l.line));
    assert.ok(work, `go build -x output reached stdout:\n${lines.map((l) => l.line).join('\n')}`);
    assert.ok(done - work.at >= 1500,
      `go build's first line arrived ${done - work.at} ms before the build returned: it was not streamed`);

    const summaries = lines.filter((l) => /^api\/index\.go: /.test(l.line));
    assert.equal(summaries.length, 1, 'one summary line for the function');
    assert.match(summaries[0].line, /^api\/index\.go: \S+ (x86_64|arm64), [\d.]+ MB, built in [\d.]+ s$/);
    assert.equal(lines[lines.length - 1], summaries[0], 'the summary is the last line');
  });

  it('a successful buildCommand\'s output streams as it runs and is kept', async () => {
    const ws = copyFixture('standalone/build-command-server');
    const command = 'echo hook-first && sleep 2 && echo hook-second && go build -o ./server .';
    const { result, lines, done } = await recordStdout(() =>
      runBuild(ws, {
        entrypoint: 'main.go',
        config: { framework: 'go', buildCommand: command },
        env: { TMPDIR: ws.tmp },
        repoRootPath: ws.workPath,
      }),
    );
    if (result.error) throw result.error;
    const first = lines.find((l) => l.line === 'hook-first');
    const second = lines.find((l) => l.line === 'hook-second');
    assert.ok(first && second, `both lines of the command in the log:\n${lines.map((l) => l.line).join('\n')}`);
    assert.ok(second.at - first.at >= 1500, 'the first line arrived when it was printed, not with the second');
    assert.ok(done - first.at >= 1500, 'the first line arrived while the command ran');
  });
});
