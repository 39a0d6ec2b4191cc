'use strict';

// The build log as the CLI captures it: lines written to process.stdout.

/**
 * Runs `fn` while recording every line console.log writes to
 * process.stdout, each with the time it arrived. Resolves to
 * { result, lines: [{ at, line }], done } where `done` is when `fn`'s
 * promise settled.
 */
async function recordStdout(fn) {
  const lines = [];
  const write = process.stdout.write;
  let partial = '';
  process.stdout.write = function (chunk, ...rest) {
    // console.log writes strings; the test runner's own reports are buffers.
    if (typeof chunk !== 'string') return write.call(this, chunk, ...rest);
    const parts = (partial + chunk).split('\n');
    partial = parts.pop();
    for (const line of parts) lines.push({ at: Date.now(), line });
    return write.call(this, chunk, ...rest);
  };
  try {
    const result = await fn();
    return { result, lines, done: Date.now() };
  } finally {
    process.stdout.write = write;
  }
}

module.exports = { recordStdout };
