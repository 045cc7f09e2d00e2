// SPDX-License-Identifier: GPL-2.0-or-later
// Runs the http-cache-tests client (installed by scripts/cache-tests.sh)
// against BASE, straight or through an HTTP forward proxy, and writes the
// raw results plus the suite's own classification to OUT.
//
//   node run.mjs SUITE_DIR BASE_URL OUT.json [PROXY_HOST:PORT]
//
// The suite's cli.mjs hands node-fetch (v2) to its runner. node-fetch sends
// every request with http.request(); with a proxy, http.request is wrapped
// so the request goes to the proxy in absolute form (GET http://o:p/x) with
// the origin's Host header, the way a browser configured with a proxy does.
// Both runs use the same client, so they differ by the proxy alone.
import http from 'http'
import fs from 'fs'
import path from 'path'
import { pathToFileURL } from 'url'

const [suiteDir, baseUrl, outFile, proxy] = process.argv.slice(2)
if (!suiteDir || !baseUrl || !outFile) {
  console.error('usage: run.mjs SUITE_DIR BASE_URL OUT.json [HOST:PORT]')
  process.exit(2)
}
const REQ_TIMEOUT_MS = 20000
const RUN_TIMEOUT_MS = Number(process.env.CACHE_TESTS_RUN_TIMEOUT || 240) *
  1000

const mod = (p) => import(pathToFileURL(path.join(suiteDir, p)).href)
const { runTests, getResults } = await mod('client/runner.mjs')
const display = await mod('lib/display.mjs')
const tests = (await mod('tests/index.mjs')).default
const surrogate = (await mod('tests/surrogate-control.mjs')).default
tests.push(surrogate) // as the suite's cli.mjs does
const fetch = (await import(pathToFileURL(path.join(suiteDir,
  '..', 'node-fetch', 'lib', 'index.mjs')).href)).default

if (proxy) {
  const [phost, pport] = proxy.split(':')
  const request = http.request
  http.request = function (opts, cb) {
    if (opts && typeof opts === 'object' && !(opts instanceof URL) &&
        typeof opts.path === 'string' && opts.path.startsWith('/')) {
      const host = opts.hostname || opts.host
      const port = opts.port || 80
      const headers = Object.assign({}, opts.headers)
      if (!Object.keys(headers).some(k => k.toLowerCase() === 'host')) {
        headers.Host = `${host}:${port}`
      }
      opts = Object.assign({}, opts, {
        host: phost,
        hostname: phost,
        port: Number(pport),
        path: `http://${host}:${port}${opts.path}`,
        headers
      })
    }
    return request.call(this, opts, cb)
  }
}

// One request may not hang the run: node-fetch's own timeout option.
const boundedFetch = (url, init) =>
  fetch(url, Object.assign({ timeout: REQ_TIMEOUT_MS }, init || {}))

function kindOf (test) {
  return test.kind === undefined ? 'required' : test.kind
}

function report (complete) {
  const raw = getResults()
  const symbols = {}
  const out = { complete, base: baseUrl, proxy: proxy || null, tests: {} }
  // The names of the suite's result types, by their text symbol.
  const names = {
    '-': 'untested', '✅': 'pass', '⛔️': 'fail',
    '⚠️': 'optional_fail', Y: 'yes', N: 'no', '🔹': 'setup_fail',
    '⁉️': 'harness_fail', '⚪️': 'dependency_fail', '↻': 'retry'
  }
  for (const suite of tests) {
    for (const test of suite.tests) {
      if (test.browser_only === true) continue
      const r = display.determineTestResult(tests, test.id, raw, true)
      const type = names[r[2]] || r[2]
      symbols[type] = (symbols[type] || 0) + 1
      out.tests[test.id] = {
        kind: kindOf(test),
        result: type,
        passed: raw[test.id] === true,
        detail: raw[test.id] === true || raw[test.id] === undefined
          ? undefined : raw[test.id]
      }
    }
  }
  fs.writeFileSync(outFile, JSON.stringify(out, null, 1) + '\n')
}

const guard = setTimeout(() => {
  console.error(`cache-tests client: not finished after ${RUN_TIMEOUT_MS /
    1000}s; writing the results so far`)
  report(false)
  process.exit(3)
}, RUN_TIMEOUT_MS)

await runTests(tests, boundedFetch, false, baseUrl)
clearTimeout(guard)
report(true)
