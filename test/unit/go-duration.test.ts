// One duration parser for manifests and flags (src/lib/go-duration.ts): Go's time.ParseDuration
// and Duration.String (upstream stores FelixConfiguration durations as Go prints them, e.g.
// `125s` -> `2m5s`), and the CLI's flags (--timeout, --resync-interval) read through the same parser.
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {parseDuration} from '../../src/cli/base-command.js'
import {formatGoDuration, parseGoDuration} from '../../src/lib/go-duration.js'

describe('Go durations', () => {
  test('parsed and printed as Go does', () => {
    const cases: Array<[string, string]> = [
      ['125s', '2m5s'],
      ['1h', '1h0m0s'],
      ['1.5s', '1.5s'],
      ['500ms', '500ms'],
      ['0', '0s'],
      ['1h30m', '1h30m0s'],
      ['-90s', '-1m30s'],
      ['1500us', '1.5ms'],
      ['.5s', '500ms'],
    ]
    for (const [text, printed] of cases) {
      const ns = parseGoDuration(text)
      assert.notEqual(ns, undefined, text)
      assert.equal(formatGoDuration(ns!), printed, text)
    }
  })

  test('what Go refuses is refused', () => {
    for (const text of ['', '5', 's', '1d', '5 s', '1.2.3s', '--1s']) assert.equal(parseGoDuration(text), undefined, text)
  })

  test('flags take Go durations and plain seconds, never a negative one', () => {
    assert.equal(parseDuration('5s'), 5000)
    assert.equal(parseDuration('1h30m'), 5_400_000)
    assert.equal(parseDuration('10'), 10_000)
    assert.equal(parseDuration('0.25'), 250)
    for (const text of ['', 'x', '-1s', '1d']) assert.throws(() => parseDuration(text), /invalid duration/, text)
  })
})
