'use strict';

// cgo, decided from the code: a handler whose import graph has a package
// with `import "C"` is built with cgo on (and the log says so, with the
// glibc caveat) and answers through a Lambda runtime emulator; a handler
// of the same project that needs no cgo stays static, in the same pass;
// the user's CGO_ENABLED=0 forbids cgo.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const {
  copyFixture,
  buildOk,
  buildFails,
  assertHandlerLambda,
  assertServes,
  hasInterpreter,
  recordStdout,
  removeTempDirs,
} = require('./helpers');

after(() => removeTempDirs());

/** What the CLI passes as `files`: every file of the project. */
function filesOf(workPath) {
  const files = {};
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files[path.relative(workPath, p).split(path.sep).join('/')] = { type: 'FileFsRef', fsPath: p };
    }
  };
  walk(workPath);
  return files;
}

/** The Lambda's bootstrap program. */
const program = (lambda) => lambda.files.bootstrap.fsPath;

describe('cgo from the code', { skip: process.platform !== 'linux' && 'the Lambda emulator runs linux binaries' }, () => {
  it('a handler that imports a cgo package is built with cgo and answers; its sibling stays static', async () => {
    const ws = copyFixture('handler/cgo');
    const files = filesOf(ws.workPath);
    const { result: lambda, lines } = await recordStdout(() =>
      buildOk(ws, { entrypoint: 'api/index.go', files, env: { CGO_ENABLED: '' } }),
    );
    assertHandlerLambda(lambda);
    const notes = lines.filter((l) => l.line.startsWith('cgo is used by'));
    assert.equal(notes.length, 1, lines.map((l) => l.line).join('\n'));
    assert.match(notes[0].line, /example\.com\/cgo\/cgohello: built with CGO_ENABLED=1/);
    assert.match(notes[0].line, /glibc/);
    assert.ok(hasInterpreter(program(lambda)), 'the cgo program is dynamically linked');
    await assertServes(lambda, [{ body: 'hello from C 42' }]);

    // The sibling was built in the same pass, without cgo.
    const plain = await buildOk(ws, { entrypoint: 'api/plain/index.go', files, env: { CGO_ENABLED: '' } });
    assert.ok(!hasInterpreter(program(plain)), 'the plain program is static');
    await assertServes(plain, [{ body: 'plain Go' }]);
  });

  it('CGO_ENABLED=1 allows cgo but does not force it on a program that needs none', async () => {
    const ws = copyFixture('handler/cgo');
    const plain = await buildOk(ws, { entrypoint: 'api/plain/index.go', env: { CGO_ENABLED: '1' } });
    assert.ok(!hasInterpreter(program(plain)), 'static');
    await assertServes(plain, [{ body: 'plain Go' }]);
  });

  it('CGO_ENABLED=0 from the user forbids cgo: the build fails and says why', async () => {
    const ws = copyFixture('handler/cgo');
    const { error } = await buildFails(ws, { entrypoint: 'api/index.go', env: { CGO_ENABLED: '0' } });
    assert.equal(error.code, 'GO_BUILD_FAILED', error.message);
    assert.match(error.message, /cgohello/);
  });
});
