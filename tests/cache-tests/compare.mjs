// SPDX-License-Identifier: GPL-2.0-or-later
// Sums up the two runs of run.mjs (straight to the suite's server, and
// through tproxyd), writes RESULTS.json and checks the tests that passed
// through tproxyd at the baseline.
//
//   node compare.mjs DIRECT.json PROXY.json RESULTS.json BASELINE.json
//
// Environment: UPDATE_BASELINE=1 writes BASELINE.json from this run (the
// ids of the tests passing through tproxyd) instead of checking it.
// Exit status: 0, 1 when a baseline test fails now, 2 when a run did not
// complete or BASELINE.json is missing.
import fs from 'fs'

const [directFile, proxyFile, resultsFile, baselineFile] =
  process.argv.slice(2)
const direct = JSON.parse(fs.readFileSync(directFile, 'utf8'))
const proxy = JSON.parse(fs.readFileSync(proxyFile, 'utf8'))

// The suite's result types, per kind of test (required, optimal, check).
function score (run) {
  const s = {}
  for (const t of Object.values(run.tests)) {
    const k = s[t.kind] || (s[t.kind] = { total: 0 })
    k.total++
    k[t.result] = (k[t.result] || 0) + 1
  }
  return s
}

function line (name, run) {
  const s = score(run)
  const req = s.required || { total: 0 }
  const opt = s.optimal || { total: 0 }
  const chk = s.check || { total: 0 }
  const other = (k) => Object.entries(k)
    .filter(([n]) => !['total', 'pass', 'yes'].includes(n))
    .map(([n, v]) => `${v} ${n}`).join(', ')
  console.log(`${name}: required ${req.pass || 0} of ${req.total} pass` +
    ` (${other(req)})`)
  console.log(`  optimal ${opt.pass || 0} of ${opt.total} pass` +
    ` (${other(opt)}); checks ${chk.yes || 0} of ${chk.total} yes` +
    ` (${other(chk)})` + (run.complete ? '' : '; RUN INCOMPLETE'))
}

const ids = Object.keys(proxy.tests).sort()
const passing = (run) => ids.filter(id => run.tests[id] && run.tests[id].passed)
const failing = (run) => ids.filter(id => !(run.tests[id] &&
  run.tests[id].passed))
const lost = ids.filter(id => direct.tests[id] && direct.tests[id].passed &&
  !proxy.tests[id].passed)

line('direct (no proxy)', direct)
line('through tproxyd', proxy)
console.log(`passing direct but failing through tproxyd: ${lost.length}`)
for (const id of lost) {
  console.log(`  ${id}: ${JSON.stringify(proxy.tests[id].detail)}`)
}

const results = {
  suite: 'http-cache-tests',
  direct: { complete: direct.complete, score: score(direct),
    failing: failing(direct) },
  tproxyd: { complete: proxy.complete, score: score(proxy),
    failing: failing(proxy) },
  passing_direct_failing_through_tproxyd: lost,
  details: Object.fromEntries(ids.map(id => [id, {
    kind: proxy.tests[id].kind,
    direct: direct.tests[id] ? direct.tests[id].result : 'untested',
    tproxyd: proxy.tests[id].result,
    tproxyd_detail: proxy.tests[id].detail
  }]))
}

let rc = 0
if (!direct.complete || !proxy.complete) {
  console.log('a run did not complete in time: no baseline check')
  rc = 2
} else if (process.env.UPDATE_BASELINE === '1') {
  fs.writeFileSync(baselineFile, JSON.stringify({
    comment: 'http-cache-tests ids whose own checks passed through ' +
      'tproxyd (a test the suite greys out for a failed dependency ' +
      'counts too); make cache-tests fails when one of them fails',
    passing: passing(proxy)
  }, null, 1) + '\n')
  console.log(`baseline written: ${baselineFile}` +
    ` (${passing(proxy).length} tests)`)
} else if (!fs.existsSync(baselineFile)) {
  console.log(`no baseline ${baselineFile} (UPDATE_BASELINE=1 writes it)`)
  rc = 2
} else {
  const base = JSON.parse(fs.readFileSync(baselineFile, 'utf8')).passing
  const regressed = base.filter(id => !(proxy.tests[id] &&
    proxy.tests[id].passed))
  results.regressions = regressed
  console.log(`baseline: ${base.length} tests passed through tproxyd;` +
    ` ${regressed.length} of them fail now`)
  for (const id of regressed) {
    const t = proxy.tests[id]
    console.log(`  REGRESSION ${id}: ${t ? JSON.stringify(t.detail) :
      'not run'}`)
  }
  if (regressed.length) rc = 1
}
fs.writeFileSync(resultsFile, JSON.stringify(results, null, 1) + '\n')
console.log(`results: ${resultsFile}`)
process.exit(rc)
