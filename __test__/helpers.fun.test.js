'use strict';

// Self-test for __test__/helpers/fun.js: build a real go-bridge `bootstrap` by hand
// and invoke it through @vercel/fun.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { tempDir, removeTempDirs, writeFiles, invokeLambdaDir, buildEvent } = require('./helpers');

const MAIN_GO = `package main

import (
	"fmt"
	"io"
	"net/http"

	vc "github.com/vercel/go-bridge/go/bridge"
)

func main() {
	vc.Start(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Test", "1")
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Query", r.URL.Query().Get("q"))
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.WriteHeader(201)
		if len(b) > 0 {
			fmt.Fprintf(w, "hello %s %s %s", r.Method, r.URL.Path, b)
		} else {
			fmt.Fprintf(w, "hello %s %s", r.Method, r.URL.Path)
		}
	}))
}
`;

const GO_MOD = `module x

go 1.22

require (
	github.com/aws/aws-lambda-go v1.55.1
	github.com/vercel/go-bridge v0.0.0-20221108222652-296f4c6bdb6d
)
`;

let tmp;
let lambdaDir;

before(() => {
  tmp = tempDir('helpers-fun');
  const src = path.join(tmp, 'src');
  lambdaDir = path.join(tmp, 'lambda');
  writeFiles(src, { 'go.mod': GO_MOD, 'main.go': MAIN_GO });
  fs.mkdirSync(lambdaDir);
  const env = {
    ...process.env,
    GOOS: 'linux',
    GOARCH: 'amd64',
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
    GOFLAGS: '-mod=mod',
  };
  // -mod=mod lets `go build` write go.sum from the module cache / proxy.
  execFileSync('go', ['build', '-ldflags', '-s -w', '-o', path.join(lambdaDir, 'bootstrap'), '.'], {
    cwd: src,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
});

after(removeTempDirs);

test('buildEvent produces the payload the Vercel CLI sends to go-bridge', () => {
  const ev = buildEvent({ method: 'post', path: '/x?y=1', headers: { 'X-A': 'b' }, body: 'hi' });
  assert.equal(ev.Action, 'Invoke');
  const inner = JSON.parse(ev.body);
  assert.equal(inner.method, 'POST');
  assert.equal(inner.path, '/x?y=1');
  assert.equal(inner.host, 'localhost:3000');
  assert.equal(inner.headers['x-a'], 'b');
  assert.equal(inner.headers.host, 'localhost:3000');
  assert.equal(inner.headers['content-length'], '2');
  assert.equal(inner.encoding, 'base64');
  assert.equal(Buffer.from(inner.body, 'base64').toString(), 'hi');
});

test('invokeLambdaDir runs a go-bridge bootstrap (GET + POST in one warm process)', async () => {
  const [get, post] = await invokeLambdaDir(lambdaDir, [
    { method: 'GET', path: '/api/hello?q=42', headers: { host: 'example.test' } },
    { method: 'POST', path: '/api/post', headers: { 'content-type': 'text/plain' }, body: 'payload-123' },
  ]);

  assert.equal(get.statusCode, 201);
  assert.equal(get.headers['x-test'], '1');
  assert.equal(get.headers['x-host'], 'example.test');
  assert.equal(get.headers['x-query'], '42');
  assert.deepEqual(get.headers['set-cookie'], ['a=1', 'b=2']);
  assert.deepEqual(get.rawHeaders['X-Test'], ['1']);
  assert.equal(get.body, 'hello GET /api/hello');
  assert.ok(Buffer.isBuffer(get.bodyBuffer));

  assert.equal(post.statusCode, 201);
  assert.equal(post.headers['x-test'], '1');
  assert.equal(post.body, 'hello POST /api/post payload-123');
});

test('invokeLambdaDir accepts a single request and binary bodies', async () => {
  const bin = Buffer.from([0, 1, 2, 255, 254]);
  const res = await invokeLambdaDir(lambdaDir, { method: 'PUT', path: '/bin', body: bin });
  assert.equal(res.statusCode, 201);
  assert.deepEqual(res.bodyBuffer, Buffer.concat([Buffer.from('hello PUT /bin '), bin]));
});

test('invokeLambdaDir rejects a missing bootstrap', async () => {
  await assert.rejects(invokeLambdaDir(tmp, [{}]), /ENOENT/);
});
