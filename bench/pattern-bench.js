// Patterns per second of the STIX pattern parser, then STIX objects validated per second (indicators
// with their patterns parsed, and MITRE's ATT&CK for ICS bundle from the corpus). Build first:
// `npm run build:server`, then `node bench/pattern-bench.js [seconds-per-pattern]`.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parsePattern } from '../dist/src/core/stix/pattern.js'
import { validateStixContent } from '../dist/src/core/stix/validate.js'
import { indicator } from './fixtures.js'

// The shared corpus, as the tests find it (beside the repository, or LIAISON_CORPUS_DIR).
const CORPUS = path.resolve(
  process.env.LIAISON_CORPUS_DIR ?? path.join(import.meta.dirname, '..', '..', 'shared', 'corpus'),
)

const PATTERNS = [
  "[ipv4-addr:value = '198.51.100.1']",
  "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c' AND file:size > 1000]",
  "[domain-name:value = 'www.webserver.dynssl.com' OR ipv4-addr:value = '113.10.246.30' OR ipv4-addr:value = '219.90.112.203']",
  "[url:value = 'http://bad.example/path']",
  "([email-message:subject MATCHES '(?i)invoice'] FOLLOWEDBY [process:image_ref.name = 'powershell.exe']) WITHIN 900 SECONDS",
  "[user-account:account_login = 'admin'] REPEATS 5 TIMES START t'2024-03-01T00:00:00Z' STOP t'2024-03-02T00:00:00Z'",
]

const seconds = Number(process.argv[2] ?? '1')

function rate(pattern) {
  for (let i = 0; i < 20_000; i++) {
    parsePattern(pattern)
  }
  let count = 0
  const started = process.hrtime.bigint()
  const budget = BigInt(Math.round(seconds * 1e9))
  while (process.hrtime.bigint() - started < budget) {
    for (let i = 0; i < 1000; i++) {
      if (!parsePattern(pattern).ok) {
        throw new Error(`does not parse: ${pattern}`)
      }
    }
    count += 1000
  }
  return count / (Number(process.hrtime.bigint() - started) / 1e9)
}

let total = 0
for (const pattern of PATTERNS) {
  const perSecond = rate(pattern)
  total += perSecond
  console.log(`${Math.round(perSecond).toLocaleString('en').padStart(12)} /s  ${pattern.slice(0, 80)}`)
}
console.log(
  `${Math.round(total / PATTERNS.length)
    .toLocaleString('en')
    .padStart(12)} /s  mean`,
)

// Validation, as an import checks: every MUST rule, patterns parsed.
const checks = {
  checkPattern: (pattern) => (parsePattern(pattern).ok ? null : 'not a pattern'),
  warnings: false,
}
const indicators = Array.from({ length: 50_000 }, (_, i) =>
  indicator(
    `indicator--${i.toString(16).padStart(8, '0')}-17d4-4cbf-938f-98ee46b3cd3f`,
    `bench ${i}`,
    `198.51.${(i >> 8) & 255}.${i & 255}`,
  ),
)
const attack = JSON.parse(readFileSync(path.join(CORPUS, 'stix21', 'attack', 'ics-attack-18.1.json'), 'utf8'))
for (const [name, content, count] of [
  ['indicators', indicators, indicators.length],
  ['ATT&CK for ICS bundle objects', attack, attack.objects.length],
]) {
  validateStixContent(content, checks)
  let runs = 0
  const started = process.hrtime.bigint()
  while (process.hrtime.bigint() - started < BigInt(Math.round(seconds * 1e9)) || runs === 0) {
    if (validateStixContent(content, checks).problems.length > 0) {
      throw new Error(`${name}: problems found`)
    }
    runs += 1
  }
  const perSecond = (runs * count) / (Number(process.hrtime.bigint() - started) / 1e9)
  console.log(`${Math.round(perSecond).toLocaleString('en').padStart(12)} /s  validated: ${name}`)
}
