import { extractIOC, refang } from 'ioc-extractor'
import { deterministicScoId } from '../stix/sco-id.js'
import { normaliseObservable, type Observable, type ObservableKind } from './observable.js'

/** An indicator of compromise found in free text, normalised, with the SCO it becomes. */
export interface ExtractedIoc {
  readonly observable: Observable
  /**
   * The STIX Cyber-observable Object for it, with its deterministic STIX 2.1 id (UUIDv5 over the
   * ID-contributing properties): the same value gets the same id at every producer, so it can be
   * imported as it is and correlates with everyone else's copy.
   */
  readonly sco: { type: string; id: string; [key: string]: unknown }
}

const HASH_NAMES: Partial<Record<ObservableKind, string>> = {
  md5: 'MD5',
  sha1: 'SHA-1',
  sha256: 'SHA-256',
  sha512: 'SHA-512',
}

/** The SCO that carries an observable. */
export function scoOf(observable: Observable): { type: string; [key: string]: unknown } | null {
  switch (observable.kind) {
    case 'ipv4':
      return { type: 'ipv4-addr', spec_version: '2.1', value: observable.value }
    case 'ipv6':
      return { type: 'ipv6-addr', spec_version: '2.1', value: observable.value }
    case 'domain':
      return { type: 'domain-name', spec_version: '2.1', value: observable.value }
    case 'url':
      return { type: 'url', spec_version: '2.1', value: observable.value }
    case 'email':
      return { type: 'email-addr', spec_version: '2.1', value: observable.value }
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return {
        type: 'file',
        spec_version: '2.1',
        hashes: { [HASH_NAMES[observable.kind] ?? 'MD5']: observable.value },
      }
    case 'asn':
      return { type: 'autonomous-system', spec_version: '2.1', number: Number(observable.value.slice(2)) }
    case 'mac':
      return { type: 'mac-addr', spec_version: '2.1', value: observable.value }
    case 'filename':
      return { type: 'file', spec_version: '2.1', name: observable.value }
    case 'mutex':
      return { type: 'mutex', spec_version: '2.1', name: observable.value }
    case 'regkey':
      return { type: 'windows-registry-key', spec_version: '2.1', key: observable.value }
    case 'other':
      return null
  }
}

/**
 * Finds IOCs in free text, including defanged forms (`hxxp://`, `1.2.3[.]4`, `evil[.]com`,
 * `user[at]example[.]org`), and returns each distinct one once, normalised, with its SCO (deterministic
 * id included).
 *
 * @example
 * extractIocs('C2 at hxxps://bad[.]example/gate.php and 198.51.100[.]7')
 */
export function extractIocs(text: string): ExtractedIoc[] {
  const prepared = liveSchemes(text)
  const found = extractIOC(prepared, { refang: true })
  const plain = refang(prepared)
  // Networks written in CIDR notation are networks, not their first address.
  const networks = [...plain.matchAll(/(?<!\d|\d\.)(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})(?!\d|\.\d)/g)].map(
    (m) => `${m[1] ?? ''}/${m[2] ?? ''}`,
  )
  const candidates: [ObservableKind, readonly string[]][] = [
    ['url', found.urls.map(trimUrl)],
    ['ipv4', [...networks, ...found.ipv4s.filter((ip) => standsAlone(plain, ip))]],
    ['ipv6', found.ipv6s.flatMap((ip) => ipv6Forms(plain, ip))],
    ['email', found.emails],
    // The extractor reads ASCII only, so `bücher.de` gave `cher.de`: a domain must begin a word.
    ['domain', found.domains.filter((d) => beginsWord(plain, d))],
    ['md5', found.md5s],
    ['sha1', found.sha1s],
    ['sha256', found.sha256s],
    ['sha512', found.sha512s],
    ['asn', found.asns],
    ['mac', found.macAddresses],
  ]
  const seen = new Set<string>()
  const out: ExtractedIoc[] = []
  for (const [kind, values] of candidates) {
    for (const value of values) {
      const observable = normaliseObservable(kind, value)
      if (observable === null || seen.has(observable.key)) {
        continue
      }
      const sco = scoOf(observable)
      if (sco === null) {
        continue
      }
      seen.add(observable.key)
      // Every SCO built here has an ID-contributing property, so the id is never random.
      out.push({ observable, sco: { ...sco, id: deterministicScoId(sco) } })
    }
  }
  return out
}

/** Defanged schemes in any case (`hXXp://`, `HXXPS[:]//`) made live: the extractor knows `hxxp` only. */
function liveSchemes(text: string): string {
  return text.replace(/\bhxxp(s?)(?=(?:\[:\]|:)\/\/)/gi, (_, s: string) => `http${s}`)
}

/**
 * A value to look up as a person pastes it from a report, made live again (`203.0.113[.]60`,
 * `hXXps[:]//bad[.]example/x`, `user[at]example[.]org`): correlation and search find what the
 * live value would.
 *
 * @example
 * refangValue('198.51.100[.]7') // '198.51.100.7'
 */
export function refangValue(value: string): string {
  return refang(liveSchemes(value.trim()))
}

/** Sentence punctuation the extractor leaves at a URL's end (`see https://x.test/a).`). */
function trimUrl(url: string): string {
  let out = url
  for (;;) {
    const last = out[out.length - 1]
    if (last === undefined) {
      return out
    }
    const unbalanced = (open: string, close: string) =>
      last === close && out.split(open).length < out.split(close).length
    if ('.,;:!?\'">'.includes(last) || unbalanced('(', ')') || unbalanced('[', ']') || unbalanced('{', '}')) {
      out = out.slice(0, -1)
    } else {
      return out
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** True when `domain` occurs in `text` not glued to a letter, digit or hyphen before it. */
function beginsWord(text: string, domain: string): boolean {
  return new RegExp(`(?<![\\p{L}\\p{N}_-])${escapeRegExp(domain)}`, 'iu').test(text)
}

/** True when `ip` occurs in `text` as an address of its own, not only as a CIDR network's start. */
function standsAlone(text: string, ip: string): boolean {
  return new RegExp(`(?<!\\d|\\d\\.)${escapeRegExp(ip)}(?!\\d|\\.\\d|/\\d)`).test(text)
}

/**
 * How an IPv6 address the extractor found is written in the text: as a network wherever a prefix
 * length follows it (`2001:db8::/32`: the extractor keeps only the address), and as the address
 * where one is written alone.
 */
function ipv6Forms(text: string, ip: string): string[] {
  const forms = new Set<string>()
  let at = text.indexOf(ip)
  let onlyCut = at !== -1
  const part = /[0-9a-fA-F:.]/
  while (at !== -1) {
    const after = text.slice(at + ip.length)
    // The extractor stops before an IPv4 tail it cannot read (`::ffff:010.1.1.1` gave `::ffff:010`):
    // what it kept is no address (IPv4 written other than in dotted decimal is no observable at all).
    if (/^\.\d/.test(after)) {
      at = text.indexOf(ip, at + ip.length)
      continue
    }
    onlyCut = false
    // Only where it is written whole (`2001:db8::` is also the start of `2001:db8::5`).
    const whole =
      !part.test(text.charAt(at - 1)) && !part.test(after.charAt(0) === '/' ? '' : after.charAt(0))
    if (whole) {
      const prefix = /^\/(\d{1,3})(?!\d)/.exec(after)
      forms.add(prefix === null ? ip : `${ip}/${prefix[1] ?? ''}`)
    }
    at = text.indexOf(ip, at + ip.length)
  }
  if (onlyCut) {
    return []
  }
  return forms.size === 0 ? [ip] : [...forms]
}
