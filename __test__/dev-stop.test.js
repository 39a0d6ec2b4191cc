'use strict';

// The binding's stopDevServer(pid) signals only dev servers this addon
// started: never pid 0 or 1 (the caller's group, every process), never a
// number past the pid range, never the caller, never a process it did not
// start — all answer false and nothing is signalled.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { ROOT, loadBuilder, sleep } = require('./helpers');

describe('stopDevServer', () => {
  const stranger = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
  after(() => {
    try { process.kill(-stranger.pid, 'SIGKILL'); } catch { /* gone */ }
  });

  it('refuses every pid it did not start, and signals nothing', { skip: process.platform === 'win32' && 'POSIX signals' }, async () => {
    loadBuilder();
    const binding = require(path.join(ROOT, 'binding.js'));
    let strangerExited = false;
    stranger.on('exit', () => { strangerExited = true; });
    for (const pid of [0, 1, 2 ** 31, 2 ** 32 - 1, process.pid, process.ppid, stranger.pid]) {
      let answer;
      try {
        answer = await binding.stopDevServer(pid);
      } catch (err) {
        answer = `rejected: ${err.message}`;
      }
      assert.ok(answer === false || /^rejected/.test(answer), `stopDevServer(${pid}) → ${answer}`);
    }
    await sleep(300);
    assert.equal(strangerExited, false, 'the process it did not start is still running');
    process.kill(stranger.pid, 0);
  });
});
