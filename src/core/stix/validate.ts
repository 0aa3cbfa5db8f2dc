/**
 * STIX 2.1 validation as strict as the OASIS STIX validator on MUST rules, written as precompiled checks
 * (no JSON-schema compilation per object). Every problem names the object (index and id), the property
 * and the rule; all problems are collected, never just the first. STIX 2.0 content is recognised and
 * checked against the 2.0 required properties, so the caller can upgrade (`upgradeStix20`) or reject it.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { derivedScoId } from './sco-id.js'
import {
  compareStixTimestamps,
  familyOf,
  isJsonArray,
  isJsonObject,
  isMeta,
  isSco,
  isSro,
  parseStixId,
  stixIdType,
  STIX_TYPE_RE,
  timestampError,
  timestampPrecision,
  tlp1ColourOfMarkingRef,
  TLP1_CREATED,
  tlp2OfMarkingRef,
  TLP2_EXTENSION_ID,
  type StixObject,
} from './stix.js'

/**
 * The named rules a STIX problem can break:
 * - `not-stix`: the content is no bundle, object or list of objects
 * - `json-object`: a list item is not a JSON object
 * - `required`: a required property (or one of a required set) is missing
 * - `value-type`: wrong JSON type (string, boolean, integer, list, dictionary…), or `null`
 * - `empty-list`: an empty list (STIX lists are never empty) or empty dictionary where one is needed
 * - `type-name`, `reserved`: bad or reserved object type / property name
 * - `property-name`: a property name outside `[a-z0-9_]{3,250}`
 * - `id-format`, `id-type`, `id-uuid-version`: identifier syntax, type prefix, UUID version rules
 * - `spec-version`: `spec_version` other than `2.1` (or missing where required: `required`); a warning
 *   for a bundle declaring `2.1` (2.1 bundles have none; the OASIS validator warns the same)
 * - `not-applicable`: a common property of another object family: `created` or `modified` on an SCO
 *   (SCOs are not versioned), `defanged` on anything but an SCO
 * - `timestamp`, `timestamp-precision`, `timestamp-order`: format, millisecond precision, ordering
 * - `range`, `enum`, `format`, `url`, `hex`, `binary`, `lang`: value constraints
 * - `ref-format`, `ref-type`: a `*_ref(s)` that is no identifier, or points to the wrong type
 * - `external-reference`, `hash`, `hash-name`: external references and hashes dictionaries
 * - `pattern`: an indicator pattern the injected pattern checker rejects
 * - `exclusive`, `dependency`: properties that exclude or require each other
 * - `tlp-definition`, `circular-marking`, `granular-marking`, `selector`: markings
 * - `extension`: bad `extensions` keys or values
 * - warnings only: `sco-id` (not the deterministic id), `deprecated`
 * - from `upgradeStix20`: `upgrade` (not convertible), `assumption` (a warning: a value was assumed)
 */
export type StixRule =
  | 'not-stix'
  | 'json-object'
  | 'required'
  | 'value-type'
  | 'empty-list'
  | 'type-name'
  | 'reserved'
  | 'property-name'
  | 'id-format'
  | 'id-type'
  | 'id-uuid-version'
  | 'spec-version'
  | 'not-applicable'
  | 'timestamp'
  | 'timestamp-precision'
  | 'timestamp-order'
  | 'range'
  | 'enum'
  | 'format'
  | 'url'
  | 'hex'
  | 'binary'
  | 'lang'
  | 'ref-format'
  | 'ref-type'
  | 'external-reference'
  | 'hash'
  | 'hash-name'
  | 'pattern'
  | 'exclusive'
  | 'dependency'
  | 'tlp-definition'
  | 'circular-marking'
  | 'granular-marking'
  | 'selector'
  | 'extension'
  | 'sco-id'
  | 'deprecated'
  | 'upgrade'
  | 'assumption'
  | 'nesting'

/** One broken rule. `index` is the object's position in the content (-1: the bundle or the content itself). */
export interface StixProblem {
  readonly index: number
  readonly id: string | null
  readonly type: string | null
  /** Dotted path of the property (`external_references[0].source_name`); empty for the whole object. */
  readonly property: string
  readonly rule: StixRule
  /** `object 3 (indicator--…): valid_from: must be a STIX timestamp (…)` */
  readonly message: string
}

/** The STIX version content was recognised as. */
export type StixSpecVersion = '2.1' | '2.0' | 'unknown'

/** What {@link validateStixContent} found. */
export interface ValidationResult {
  /** `2.0` for a bundle declaring 2.0 or objects without `spec_version` (none declaring 2.1). */
  readonly specVersion: StixSpecVersion
  /** Every item that is an object with a string `type` and `id`, valid or not, with its position. */
  readonly objects: { index: number; object: StixObject }[]
  /** Broken MUST rules. A strict import rejects content with any; a lenient one skips those objects. */
  readonly problems: StixProblem[]
  /** Broken SHOULD rules and deprecated usage; never a reason to reject. */
  readonly warnings: StixProblem[]
}

/** Options of {@link validateStixContent}. */
export interface ValidateOptions {
  /**
   * Checks a `pattern_type: "stix"` pattern: returns why it is invalid, or null. Without it patterns are
   * not checked (the pattern parser lives in `pattern.ts`).
   */
  readonly checkPattern?: (pattern: string) => string | null
  /**
   * The STIX version of the content when the caller already knows it (a bundle read in parts, whose
   * version {@link stixVersionEvidence} established over all of it); detected otherwise.
   */
  readonly version?: Version
  /** Index of the first item when the content is one part of a larger list (numbers in problems). */
  readonly firstIndex?: number
  /**
   * False: SHOULD rules are not checked and `warnings` stays empty, for callers that discard them (an
   * import): a MISP event's SCOs, named after their attributes, would each cost a UUIDv5 and a warning.
   */
  readonly warnings?: boolean
}

type Version = '2.1' | '2.0'

interface Ctx {
  readonly index: number
  readonly id: string | null
  readonly type: string | null
  readonly version: Version
  readonly problems: StixProblem[]
  readonly warnings: StixProblem[]
  /** False when warnings are not wanted ({@link ValidateOptions.warnings}). */
  readonly collectWarnings: boolean
  readonly checkPattern: ((pattern: string) => string | null) | undefined
  /** The `observed-data.objects` dictionary while checking the objects in it: refs are its keys. */
  readonly local: Readonly<Record<string, unknown>> | null
}

type Check = (ctx: Ctx, path: string, value: unknown) => void

/** A rule between the properties of one object, run after the property checks. */
type Extra = (ctx: Ctx, path: string, o: Readonly<Record<string, unknown>>) => void

interface ObjSpec {
  readonly required?: readonly string[]
  readonly props: Readonly<Record<string, Check>>
  readonly extra?: Extra
}

type Family = 'sdo' | 'sro' | 'sco' | 'meta' | 'custom-sdo' | 'custom-sco'

interface TypeSpec extends ObjSpec {
  readonly family: Family
}

// ---------------------------------------------------------------------------------------------------------
// Reporting

function subject(ctx: Ctx): string {
  if (ctx.index < 0) {
    return ctx.id === null ? 'content' : `bundle (${ctx.id})`
  }
  return `object ${ctx.index} (${ctx.id ?? ctx.type ?? 'without id'})`
}

function problem(ctx: Ctx, property: string, rule: StixRule, text: string): StixProblem {
  const where = property === '' ? '' : `${property}: `
  return {
    index: ctx.index,
    id: ctx.id,
    type: ctx.type,
    property,
    rule,
    message: `${subject(ctx)}: ${where}${text}`,
  }
}

function fail(ctx: Ctx, property: string, rule: StixRule, text: string): void {
  ctx.problems.push(problem(ctx, property, rule, text))
}

function warn(ctx: Ctx, property: string, rule: StixRule, text: string): void {
  if (ctx.collectWarnings) {
    ctx.warnings.push(problem(ctx, property, rule, text))
  }
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function jsonType(value: unknown): string {
  if (value === null) {
    return 'null'
  }
  if (isJsonArray(value)) {
    return 'a list'
  }
  if (typeof value === 'object') {
    return 'a dictionary'
  }
  return `a ${typeof value}`
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

function has(o: Readonly<Record<string, unknown>>, key: string): boolean {
  return o[key] !== undefined
}

// ---------------------------------------------------------------------------------------------------------
// Formats

const PROPERTY_NAME_RE = /^[a-z0-9_]{3,250}$/
const OBJECT_KEYS: ReadonlySet<string> = new Set(['type', 'id', 'spec_version'])
const RESERVED_PROPERTIES: ReadonlySet<string> = new Set(['severity', 'action', 'username', 'phone_numbers'])
const EXTENSION_DEFINITION_ID_RE =
  /^extension-definition--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/
const EXTENSION_NAME_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*-ext$/
const URL_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s\p{Cc}]*$/u
const HEX_RE = /^(?:[0-9a-fA-F]{2})+$/
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const LANG_RE = /^(?:[a-zA-Z]{2,8}|[xXiI])(?:-[a-zA-Z0-9]{1,8})*$/
const MIME_RE = /^[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*\/[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]*$/
const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/
const CPE23_RE = /^cpe:2\.3:[aho*-](?::(?:[^:\\]|\\.)*){10}$/
const RELATIONSHIP_TYPE_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/
const ISO639_2_RE = /^[a-z]{3}$/
const SELECTOR_INDEX_RE = /^\[(\d+)\]$/
const HASH_NAME_RE = /^[a-zA-Z0-9_-]{3,250}$/
const CVE_RE = /^CVE-\d{4}-\d{4,}$/
const CAPEC_RE = /^CAPEC-\d+$/

const HASH_FORMATS: Readonly<Record<string, RegExp>> = {
  MD5: /^[a-fA-F0-9]{32}$/,
  'SHA-1': /^[a-fA-F0-9]{40}$/,
  'SHA-256': /^[a-fA-F0-9]{64}$/,
  'SHA-512': /^[a-fA-F0-9]{128}$/,
  'SHA3-256': /^[a-fA-F0-9]{64}$/,
  'SHA3-512': /^[a-fA-F0-9]{128}$/,
  SSDEEP: /^\d+:[a-zA-Z0-9/+]*:[a-zA-Z0-9/+]*(?:,".*")?$/,
  TLSH: /^(?:T1)?[a-fA-F0-9]{70}$/,
}
// Spelling variants (`sha256`, `Sha-1`) are custom hash names to STIX: warn with the vocabulary name.
const HASH_SPELLINGS: ReadonlyMap<string, string> = new Map(
  Object.keys(HASH_FORMATS).map((name) => [name.replace(/[-_]/g, '').toUpperCase(), name]),
)

// ---------------------------------------------------------------------------------------------------------
// Value checks

const str: Check = (ctx, path, value) => {
  if (typeof value !== 'string') {
    fail(ctx, path, 'value-type', `must be a string, not ${jsonType(value)}`)
  }
}

const bool: Check = (ctx, path, value) => {
  if (typeof value !== 'boolean') {
    fail(ctx, path, 'value-type', `must be a boolean, not ${jsonType(value)}`)
  }
}

function int(min?: number, max?: number): Check {
  return (ctx, path, value) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      fail(ctx, path, 'value-type', `must be an integer, not ${preview(value)}`)
      return
    }
    checkRange(ctx, path, value, min, max)
  }
}

function num(min?: number, max?: number): Check {
  return (ctx, path, value) => {
    if (typeof value !== 'number') {
      fail(ctx, path, 'value-type', `must be a number, not ${jsonType(value)}`)
      return
    }
    checkRange(ctx, path, value, min, max)
  }
}

function checkRange(ctx: Ctx, path: string, value: number, min?: number, max?: number): void {
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range = max === undefined ? `at least ${min ?? ''}` : `between ${min ?? ''} and ${max}`
    fail(ctx, path, 'range', `must be ${range}, not ${value}`)
  }
}

const timestamp: Check = (ctx, path, value) => {
  if (typeof value !== 'string') {
    fail(ctx, path, 'value-type', `must be a STIX timestamp string, not ${jsonType(value)}`)
    return
  }
  const error = timestampError(value)
  if (error !== null) {
    fail(ctx, path, 'timestamp', `${error}, not ${preview(value)}`)
  }
}

const timestampMillis: Check = (ctx, path, value) => {
  const before = ctx.problems.length
  timestamp(ctx, path, value)
  if (ctx.problems.length === before && typeof value === 'string' && timestampPrecision(value) < 3) {
    fail(ctx, path, 'timestamp-precision', `must have at least millisecond precision, not ${preview(value)}`)
  }
}

// The OASIS validator accepts marking definitions whose created has no milliseconds (python-stix2 writes
// them): only a warning there.
const timestampMillisPreferred: Check = (ctx, path, value) => {
  const before = ctx.problems.length
  timestamp(ctx, path, value)
  if (ctx.problems.length === before && typeof value === 'string' && timestampPrecision(value) < 3) {
    warn(
      ctx,
      path,
      'timestamp-precision',
      `should have at least millisecond precision, not ${preview(value)}`,
    )
  }
}

const url: Check = (ctx, path, value) => {
  if (typeof value !== 'string') {
    fail(ctx, path, 'value-type', `must be a URL string, not ${jsonType(value)}`)
  } else if (!URL_RE.test(value)) {
    fail(ctx, path, 'url', `must be an RFC 3986 URL (scheme, no white space), not ${preview(value)}`)
  }
}

const hex: Check = (ctx, path, value) => {
  if (typeof value !== 'string') {
    fail(ctx, path, 'value-type', `must be a hex string, not ${jsonType(value)}`)
  } else if (!HEX_RE.test(value)) {
    fail(ctx, path, 'hex', `must be an even number of hexadecimal digits, not ${preview(value)}`)
  }
}

const binary: Check = (ctx, path, value) => {
  if (typeof value !== 'string') {
    fail(ctx, path, 'value-type', `must be a base64 string, not ${jsonType(value)}`)
  } else if (!BASE64_RE.test(value)) {
    fail(ctx, path, 'binary', `must be RFC 4648 base64, not ${preview(value)}`)
  }
}

const lang: Check = (ctx, path, value) => {
  if (typeof value !== 'string') {
    fail(ctx, path, 'value-type', `must be a language tag string, not ${jsonType(value)}`)
  } else if (!LANG_RE.test(value)) {
    fail(ctx, path, 'lang', `must be an RFC 5646 language tag, not ${preview(value)}`)
  }
}

function formatted(re: RegExp, what: string): Check {
  return (ctx, path, value) => {
    if (typeof value !== 'string') {
      fail(ctx, path, 'value-type', `must be a string, not ${jsonType(value)}`)
    } else if (!re.test(value)) {
      fail(ctx, path, 'format', `must be ${what}, not ${preview(value)}`)
    }
  }
}

/** A common property of another object family (STIX 2.1 section 3.2): present at all is the problem. */
function notApplicable(why: string): Check {
  return (ctx, path) => fail(ctx, path, 'not-applicable', why)
}

function listOf(item: Check, what: string): Check {
  return (ctx, path, value) => {
    if (!isJsonArray(value)) {
      fail(ctx, path, 'value-type', `must be a list of ${what}, not ${jsonType(value)}`)
      return
    }
    if (value.length === 0) {
      fail(ctx, path, 'empty-list', 'must not be an empty list (leave the property out instead)')
      return
    }
    for (let i = 0; i < value.length; i++) {
      item(ctx, `${path}[${i}]`, value[i])
    }
  }
}

const strList = listOf(str, 'strings')

function enumOf(values: readonly string[]): Check {
  const allowed: ReadonlySet<string> = new Set(values)
  return (ctx, path, value) => {
    if (typeof value !== 'string') {
      fail(ctx, path, 'value-type', `must be a string, not ${jsonType(value)}`)
    } else if (!allowed.has(value)) {
      fail(ctx, path, 'enum', `must be one of ${values.join(', ')}, not ${preview(value)}`)
    }
  }
}

const dict: Check = (ctx, path, value) => {
  if (!isJsonObject(value)) {
    fail(ctx, path, 'value-type', `must be a dictionary, not ${jsonType(value)}`)
  }
}

const hashes: Check = (ctx, path, value) => {
  if (!isJsonObject(value)) {
    fail(ctx, path, 'value-type', `must be a dictionary of hashes, not ${jsonType(value)}`)
    return
  }
  const names = Object.keys(value)
  if (names.length === 0) {
    fail(ctx, path, 'empty-list', 'must hold at least one hash')
  }
  for (const name of names) {
    const hash = value[name]
    const at = join(path, name)
    if (!HASH_NAME_RE.test(name)) {
      fail(ctx, at, 'hash-name', 'hash names must be 3–250 letters, digits, hyphens or underscores')
    }
    if (typeof hash !== 'string') {
      fail(ctx, at, 'value-type', `must be a string, not ${jsonType(hash)}`)
      continue
    }
    const format = HASH_FORMATS[name]
    if (format !== undefined) {
      if (!format.test(hash)) {
        fail(ctx, at, 'hash', `is not a valid ${name} value: ${preview(hash)}`)
      }
      continue
    }
    const spelling = HASH_SPELLINGS.get(name.replace(/[-_]/g, '').toUpperCase())
    if (spelling !== undefined) {
      warn(ctx, at, 'hash-name', `should be spelt ${spelling} (hash names are case-sensitive)`)
    }
  }
}

/** Which object types a reference may point to. */
interface Target {
  readonly label: string
  readonly accepts: (type: string) => boolean
}

function targetTypes(...types: string[]): Target {
  const set: ReadonlySet<string> = new Set(types)
  return { label: types.join(' or '), accepts: (type) => set.has(type) }
}

const ANY_TARGET: Target = { label: 'any object', accepts: (type) => type !== 'bundle' }
// Custom types cannot be classified by name, so they are accepted wherever an SDO or an SCO may be.
const SDO_TARGET: Target = {
  label: 'an SDO',
  accepts: (type) => !isSco(type) && !isSro(type) && !isMeta(type) && type !== 'bundle',
}
const SCO_TARGET: Target = {
  label: 'an SCO',
  accepts: (type) => isSco(type) || familyOf(type) === 'custom',
}
const SDO_OR_SCO_TARGET: Target = {
  label: 'an SDO or SCO',
  accepts: (type) => !isSro(type) && !isMeta(type) && type !== 'bundle',
}
const OBSERVATION_TARGET: Target = {
  label: 'an SCO or relationship',
  accepts: (type) => isSco(type) || type === 'relationship' || familyOf(type) === 'custom',
}
const IDENTITY = targetTypes('identity')
const ANY_REFS = refs(ANY_TARGET)
const MARKING = targetTypes('marking-definition')
const ADDRESS_TARGET = targetTypes('ipv4-addr', 'ipv6-addr', 'mac-addr', 'domain-name')

function checkRefValue(ctx: Ctx, path: string, value: unknown, target: Target): void {
  if (typeof value !== 'string') {
    fail(ctx, path, 'value-type', `must be an identifier string, not ${jsonType(value)}`)
    return
  }
  if (ctx.local !== null) {
    const referenced = ctx.local[value]
    if (!Object.hasOwn(ctx.local, value) || !isJsonObject(referenced)) {
      fail(ctx, path, 'ref-format', `must be the key of an object in objects, not ${preview(value)}`)
      return
    }
    if (typeof referenced.type === 'string' && !target.accepts(referenced.type)) {
      fail(ctx, path, 'ref-type', `must refer to ${target.label}, not ${referenced.type} (${value})`)
    }
    return
  }
  const type = stixIdType(value)
  if (type === null) {
    fail(ctx, path, 'ref-format', `must be a STIX identifier (type--UUID), not ${preview(value)}`)
    return
  }
  if (!target.accepts(type)) {
    fail(ctx, path, 'ref-type', `must refer to ${target.label}, not ${type}`)
  }
}

function ref(target: Target): Check {
  return (ctx, path, value) => checkRefValue(ctx, path, value, target)
}

function refs(target: Target): Check {
  return listOf(ref(target), 'identifiers')
}

function checkObjectValue(ctx: Ctx, path: string, value: unknown, spec: ObjSpec, names: boolean): void {
  if (!isJsonObject(value)) {
    fail(ctx, path, 'value-type', `must be a dictionary, not ${jsonType(value)}`)
    return
  }
  checkBody(ctx, path, value, spec, names)
}

function object(spec: ObjSpec): Check {
  return (ctx, path, value) => checkObjectValue(ctx, path, value, spec, false)
}

function objectList(spec: ObjSpec): Check {
  return listOf(object(spec), 'dictionaries')
}

function atLeastOne(...properties: string[]): Extra {
  return (ctx, path, o) => {
    if (!properties.some((property) => has(o, property))) {
      fail(ctx, path, 'required', `needs at least one of ${properties.join(', ')}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Generic property rules

/**
 * Checks every property of `o` against `spec`; properties the spec does not know are custom: their
 * names follow the STIX rules (`names`), `*_ref(s)` hold identifiers, and lists are never empty.
 */
function checkBody(
  ctx: Ctx,
  path: string,
  o: Readonly<Record<string, unknown>>,
  spec: ObjSpec,
  names: boolean,
  required: readonly string[] = spec.required ?? [],
  object = false,
): void {
  for (const property of required) {
    if (o[property] === undefined) {
      fail(ctx, join(path, property), 'required', 'is required')
    }
  }
  for (const key of Object.keys(o)) {
    // type, id and spec_version of a whole object are checked by the caller.
    if (object && OBJECT_KEYS.has(key)) {
      continue
    }
    const value = o[key]
    const at = join(path, key)
    if (value === null) {
      fail(ctx, at, 'value-type', 'must not be null (leave the property out instead)')
      continue
    }
    const check = spec.props[key]
    if (check !== undefined) {
      check(ctx, at, value)
      continue
    }
    if (names) {
      checkPropertyName(ctx, at, key)
    }
    checkCustomValue(ctx, at, key, value)
  }
  spec.extra?.(ctx, path, o)
}

function checkPropertyName(ctx: Ctx, path: string, key: string): void {
  if (RESERVED_PROPERTIES.has(key)) {
    fail(ctx, path, 'reserved', `${key} is a reserved property name`)
  } else if (!PROPERTY_NAME_RE.test(key)) {
    fail(ctx, path, 'property-name', 'property names must be 3–250 characters of a–z, 0–9 and _')
  }
}

/**
 * Most levels of objects and lists within one custom property's value. The spec sets none; no real
 * content comes near it, and a value nested some thousands of levels deep would stop the process's
 * JSON serialisation (a stack overflow) when the object is stored or served.
 */
export const MAX_CUSTOM_NESTING = 100

/** True when `value` holds objects or lists more than `max` levels deep (walked without recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]]
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [node, depth] = entry
    if (depth > max) {
      return true
    }
    for (const member of Array.isArray(node) ? node : Object.values(node as object)) {
      if (typeof member === 'object' && member !== null) {
        stack.push([member, depth + 1])
      }
    }
  }
  return false
}

function checkCustomValue(ctx: Ctx, path: string, key: string, value: unknown): void {
  if (typeof value === 'object' && value !== null && nestedDeeperThan(value, MAX_CUSTOM_NESTING)) {
    fail(ctx, path, 'nesting', `objects and lists nested more than ${MAX_CUSTOM_NESTING} levels deep`)
    return
  }
  if (key.endsWith('_ref') || key.endsWith('_refs')) {
    // Legacy x_ properties are the producer's business (ATT&CK ships `x_mitre_data_source_ref: ""`,
    // which the OASIS validator accepts): a bad one is only a warning.
    const target = key.startsWith('x_') ? { ...ctx, problems: ctx.collectWarnings ? ctx.warnings : [] } : ctx
    if (key.endsWith('_ref')) {
      checkRefValue(target, path, value, ANY_TARGET)
    } else {
      ANY_REFS(target, path, value)
    }
  } else if (isJsonArray(value) && value.length === 0) {
    fail(ctx, path, 'empty-list', 'must not be an empty list (leave the property out instead)')
  }
}

/** Extension contents: `*_ref(s)` hold identifiers and lists are never empty, also in nested objects. */
function checkNested(ctx: Ctx, path: string, value: unknown, depth: number): void {
  if (depth > 6) {
    return
  }
  if (isJsonArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      if (isJsonObject(item)) {
        checkNested(ctx, `${path}[${i}]`, item, depth + 1)
      }
    }
    return
  }
  if (!isJsonObject(value)) {
    return
  }
  for (const key of Object.keys(value)) {
    const member = value[key]
    const at = join(path, key)
    checkCustomValue(ctx, at, key, member)
    if (typeof member === 'object' && member !== null) {
      checkNested(ctx, at, member, depth + 1)
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shared structures

const EXTERNAL_REFERENCE: ObjSpec = {
  required: ['source_name'],
  props: { source_name: str, description: str, url, hashes, external_id: str },
  extra: (ctx, path, o) => {
    if (!has(o, 'description') && !has(o, 'url') && !has(o, 'external_id')) {
      fail(ctx, path, 'external-reference', 'needs description, url or external_id besides source_name')
    }
    const id = o.external_id
    if (typeof id !== 'string') {
      return
    }
    if (o.source_name === 'cve' && !CVE_RE.test(id)) {
      fail(
        ctx,
        join(path, 'external_id'),
        'external-reference',
        `must be a CVE id (CVE-YYYY-NNNN), not ${preview(id)}`,
      )
    } else if (o.source_name === 'capec' && !CAPEC_RE.test(id)) {
      fail(
        ctx,
        join(path, 'external_id'),
        'external-reference',
        `must be a CAPEC id (CAPEC-N), not ${preview(id)}`,
      )
    }
  },
}

const KILL_CHAIN_PHASE: ObjSpec = {
  required: ['kill_chain_name', 'phase_name'],
  props: { kill_chain_name: str, phase_name: str },
}

const GRANULAR_MARKING: ObjSpec = {
  required: ['selectors'],
  props: { selectors: strList, marking_ref: ref(MARKING), lang },
  extra: (ctx, path, o) => {
    const marking = has(o, 'marking_ref')
    if (ctx.version === '2.0') {
      if (!marking) {
        fail(ctx, join(path, 'marking_ref'), 'required', 'is required')
      }
      return
    }
    if (marking === has(o, 'lang')) {
      fail(ctx, path, 'granular-marking', 'needs exactly one of marking_ref and lang')
    }
  },
}

const killChainPhases = objectList(KILL_CHAIN_PHASE)
const externalReferences = objectList(EXTERNAL_REFERENCE)
const granularMarkings = objectList(GRANULAR_MARKING)

const EXTENSION_TYPES = [
  'new-sdo',
  'new-sco',
  'new-sro',
  'property-extension',
  'toplevel-property-extension',
] as const

const extensionType = enumOf(EXTENSION_TYPES)

/** The `extensions` check of one object type, with the predefined extensions of that type. */
function extensionsOf(predefined: Readonly<Record<string, ObjSpec>>): Check {
  return (ctx, path, value) => {
    if (!isJsonObject(value)) {
      fail(ctx, path, 'value-type', `must be a dictionary of extensions, not ${jsonType(value)}`)
      return
    }
    for (const key of Object.keys(value)) {
      const extension = value[key]
      const at = join(path, key)
      if (!isJsonObject(extension)) {
        fail(ctx, at, 'value-type', `must be a dictionary, not ${jsonType(extension)}`)
        continue
      }
      if (EXTENSION_DEFINITION_ID_RE.test(key)) {
        if (extension.extension_type !== undefined) {
          extensionType(ctx, join(at, 'extension_type'), extension.extension_type)
        }
        checkNested(ctx, at, extension, 0)
        continue
      }
      if (!EXTENSION_NAME_RE.test(key)) {
        fail(ctx, at, 'extension', 'keys must be extension-definition ids or extension names ending in -ext')
        continue
      }
      const spec = predefined[key]
      if (spec === undefined) {
        checkNested(ctx, at, extension, 0)
      } else {
        checkBody(ctx, at, extension, spec, true)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Type specifications

// SCOs have no created or modified: they are not versioned. In a bundle the OASIS validator takes an SCO
// with created but no spec_version for 2.0 content and rejects it (with spec_version 2.1 it only warns of
// a custom property). Rejected here either way: versions are keyed by modified, so one would fork an
// observable whose deterministic id every producer shares.
const notOnSco = notApplicable('is not a property of cyber-observable objects (SCOs are not versioned)')
const onlyOnSco = notApplicable('only cyber-observable objects (SCOs) can be defanged')

const SDO_COMMON: Readonly<Record<string, Check>> = {
  created_by_ref: ref(IDENTITY),
  created: timestampMillis,
  modified: timestampMillis,
  revoked: bool,
  labels: strList,
  confidence: int(0, 100),
  lang,
  external_references: externalReferences,
  object_marking_refs: refs(MARKING),
  granular_markings: granularMarkings,
  defanged: onlyOnSco,
}

const SCO_COMMON: Readonly<Record<string, Check>> = {
  object_marking_refs: refs(MARKING),
  granular_markings: granularMarkings,
  defanged: bool,
  created: notOnSco,
  modified: notOnSco,
}

const NO_EXTENSIONS: Readonly<Record<string, ObjSpec>> = {}

function sdo(
  required: readonly string[],
  props: Readonly<Record<string, Check>>,
  extra?: Extra,
  family: Family = 'sdo',
): TypeSpec {
  return {
    family,
    required: ['created', 'modified', ...required],
    props: { ...SDO_COMMON, extensions: extensionsOf(NO_EXTENSIONS), ...props },
    extra,
  }
}

function sco(
  required: readonly string[],
  props: Readonly<Record<string, Check>>,
  extra?: Extra,
  extensions: Readonly<Record<string, ObjSpec>> = NO_EXTENSIONS,
): TypeSpec {
  return {
    family: 'sco',
    required,
    props: { ...SCO_COMMON, extensions: extensionsOf(extensions), ...props },
    extra,
  }
}

const name = str
const description = str
const aliases = strList
const firstSeen = timestamp
const lastSeen = timestamp

function checkPatternOf(ctx: Ctx, o: Readonly<Record<string, unknown>>): void {
  const patternType = o.pattern_type ?? (ctx.version === '2.0' ? 'stix' : undefined)
  if (patternType !== 'stix' || typeof o.pattern !== 'string' || ctx.checkPattern === undefined) {
    return
  }
  const error = ctx.checkPattern(o.pattern)
  if (error !== null) {
    fail(ctx, 'pattern', 'pattern', `is not a valid STIX pattern: ${error}`)
  }
}

function checkLocation(ctx: Ctx, path: string, o: Readonly<Record<string, unknown>>): void {
  const latitude = has(o, 'latitude')
  const longitude = has(o, 'longitude')
  if (!has(o, 'region') && !has(o, 'country') && !(latitude && longitude)) {
    fail(ctx, path, 'required', 'needs region, country, or latitude and longitude')
  }
  if (latitude !== longitude) {
    fail(ctx, latitude ? 'longitude' : 'latitude', 'dependency', 'latitude and longitude go together')
  }
  if (has(o, 'precision') && !(latitude && longitude)) {
    fail(ctx, 'precision', 'dependency', 'is only allowed with latitude and longitude')
  }
}

const OBSERVED_DATA_OBJECTS: Check = (ctx, path, value) => {
  if (!isJsonObject(value)) {
    fail(ctx, path, 'value-type', `must be a dictionary of cyber-observable objects, not ${jsonType(value)}`)
    return
  }
  const keys = Object.keys(value)
  if (keys.length === 0) {
    fail(ctx, path, 'empty-list', 'must hold at least one object')
    return
  }
  const local: Ctx = { ...ctx, local: value }
  for (const key of keys) {
    const embedded = value[key]
    const at = join(path, key)
    if (!isJsonObject(embedded)) {
      fail(ctx, at, 'value-type', `must be a cyber-observable object, not ${jsonType(embedded)}`)
      continue
    }
    const type = embedded.type
    if (typeof type !== 'string') {
      fail(ctx, join(at, 'type'), type === undefined ? 'required' : 'value-type', 'is required (a string)')
      continue
    }
    const spec = SPECS[type]
    if (spec !== undefined && spec.family !== 'sco') {
      fail(ctx, join(at, 'type'), 'type-name', `must be a cyber-observable type, not ${type}`)
      continue
    }
    checkBody(local, at, embedded, spec ?? CUSTOM_SCO, true, undefined, true)
    checkOrder(local, at, embedded, type)
  }
}

function checkObservedData(ctx: Ctx, path: string, o: Readonly<Record<string, unknown>>): void {
  if (ctx.version === '2.0') {
    return
  }
  const embedded = has(o, 'objects')
  if (embedded === has(o, 'object_refs')) {
    fail(ctx, path, embedded ? 'exclusive' : 'required', 'needs exactly one of object_refs and objects')
  }
  if (embedded) {
    warn(ctx, 'objects', 'deprecated', 'is deprecated in STIX 2.1; use object_refs to top-level SCOs')
  }
}

function checkMarkingDefinition(ctx: Ctx, path: string, o: Readonly<Record<string, unknown>>): void {
  const definitionType = o.definition_type
  const definition = o.definition
  if (definitionType !== undefined || definition !== undefined || !has(o, 'extensions')) {
    for (const property of ['definition_type', 'definition']) {
      if (!has(o, property)) {
        fail(ctx, property, 'required', 'is required (definition_type and definition go together)')
      }
    }
  }
  const id = typeof o.id === 'string' ? o.id.toLowerCase() : ''
  const tlp1 = tlp1ColourOfMarkingRef(id)
  if (definitionType === 'statement' && isJsonObject(definition)) {
    checkBody(ctx, 'definition', definition, { required: ['statement'], props: { statement: str } }, false)
  }
  if (definitionType === 'tlp' && isJsonObject(definition)) {
    checkBody(ctx, 'definition', definition, { required: ['tlp'], props: { tlp: TLP1_COLOUR } }, false)
    if (tlp1 === null) {
      fail(ctx, 'id', 'tlp-definition', 'TLP 1.0 marking definitions must be the four predefined by STIX 2.1')
    }
  }
  if (tlp1 !== null) {
    const colour = isJsonObject(definition) ? definition.tlp : undefined
    if (definitionType !== 'tlp' || colour !== tlp1 || o.created !== TLP1_CREATED) {
      fail(
        ctx,
        path,
        'tlp-definition',
        `must be the predefined TLP:${tlp1.toUpperCase()} definition (definition_type tlp, tlp ${tlp1}, created ${TLP1_CREATED})`,
      )
    }
  }
  const extensions = o.extensions
  const tlp2Extension = isJsonObject(extensions) ? extensions[TLP2_EXTENSION_ID] : undefined
  const tlp2 = tlp2OfMarkingRef(id)
  if (tlp2 !== null) {
    if (!isJsonObject(tlp2Extension) || tlp2Extension.tlp_2_0 !== tlp2) {
      fail(
        ctx,
        `extensions.${TLP2_EXTENSION_ID}.tlp_2_0`,
        'tlp-definition',
        `must be ${preview(tlp2)}: this id is the OASIS TLP 2.0 ${tlp2.toUpperCase()} marking`,
      )
    }
  } else if (tlp2Extension !== undefined) {
    warn(
      ctx,
      'id',
      'tlp-definition',
      'TLP 2.0 marking under an id that is not an OASIS TLP 2.0 one: not recognised',
    )
  }
  checkCircularMarkings(ctx, o)
}

function checkCircularMarkings(ctx: Ctx, o: Readonly<Record<string, unknown>>): void {
  const markingRefs = o.object_marking_refs
  if (isJsonArray(markingRefs) && markingRefs.includes(o.id)) {
    fail(ctx, 'object_marking_refs', 'circular-marking', 'a marking definition cannot mark itself')
  }
  const granular = o.granular_markings
  if (isJsonArray(granular)) {
    granular.forEach((marking, i) => {
      if (isJsonObject(marking) && marking.marking_ref === o.id) {
        fail(
          ctx,
          `granular_markings[${i}].marking_ref`,
          'circular-marking',
          'a marking definition cannot mark itself',
        )
      }
    })
  }
}

const TLP1_COLOUR = enumOf(['white', 'green', 'amber', 'red'])
const MALWARE_ANALYSIS_SAMPLE = targetTypes('file', 'network-traffic', 'artifact')
const SOFTWARE = targetTypes('software')

const SDO_SPECS: Readonly<Record<string, TypeSpec>> = {
  'attack-pattern': sdo(['name'], { name, description, aliases, kill_chain_phases: killChainPhases }),
  campaign: sdo(['name'], {
    name,
    description,
    aliases,
    first_seen: firstSeen,
    last_seen: lastSeen,
    objective: str,
  }),
  'course-of-action': sdo(['name'], { name, description }),
  grouping: sdo(['context', 'object_refs'], {
    name,
    description,
    context: str,
    object_refs: refs(ANY_TARGET),
  }),
  identity: sdo(['name'], {
    name,
    description,
    roles: strList,
    identity_class: str,
    sectors: strList,
    contact_information: str,
  }),
  incident: sdo(['name'], { name, description, kill_chain_phases: killChainPhases }),
  indicator: sdo(
    ['pattern', 'pattern_type', 'valid_from'],
    {
      name,
      description,
      indicator_types: strList,
      pattern: str,
      pattern_type: str,
      pattern_version: str,
      valid_from: timestamp,
      valid_until: timestamp,
      kill_chain_phases: killChainPhases,
    },
    (ctx, _path, o) => checkPatternOf(ctx, o),
  ),
  infrastructure: sdo(['name'], {
    name,
    description,
    infrastructure_types: strList,
    aliases,
    kill_chain_phases: killChainPhases,
    first_seen: firstSeen,
    last_seen: lastSeen,
  }),
  'intrusion-set': sdo(['name'], {
    name,
    description,
    aliases,
    first_seen: firstSeen,
    last_seen: lastSeen,
    goals: strList,
    resource_level: str,
    primary_motivation: str,
    secondary_motivations: strList,
  }),
  location: sdo(
    [],
    {
      name,
      description,
      latitude: num(-90, 90),
      longitude: num(-180, 180),
      precision: num(0),
      region: str,
      country: str,
      administrative_area: str,
      city: str,
      street_address: str,
      postal_code: str,
    },
    checkLocation,
  ),
  malware: sdo(
    ['is_family'],
    {
      name,
      description,
      malware_types: strList,
      is_family: bool,
      aliases,
      kill_chain_phases: killChainPhases,
      first_seen: firstSeen,
      last_seen: lastSeen,
      operating_system_refs: refs(SOFTWARE),
      architecture_execution_envs: strList,
      implementation_languages: strList,
      capabilities: strList,
      sample_refs: refs(targetTypes('file', 'artifact')),
    },
    (ctx, _path, o) => {
      if (o.is_family === true && !has(o, 'name')) {
        fail(ctx, 'name', 'required', 'is required when is_family is true')
      }
    },
  ),
  'malware-analysis': sdo(
    ['product'],
    {
      product: str,
      version: str,
      host_vm_ref: ref(SOFTWARE),
      operating_system_ref: ref(SOFTWARE),
      installed_software_refs: refs(SOFTWARE),
      configuration_version: str,
      modules: strList,
      analysis_engine_version: str,
      analysis_definition_version: str,
      submitted: timestamp,
      analysis_started: timestamp,
      analysis_ended: timestamp,
      result_name: str,
      result: str,
      analysis_sco_refs: refs(SCO_TARGET),
      sample_ref: ref(MALWARE_ANALYSIS_SAMPLE),
    },
    atLeastOne('result', 'analysis_sco_refs'),
  ),
  note: sdo(['content', 'object_refs'], {
    abstract: str,
    content: str,
    authors: strList,
    object_refs: refs(ANY_TARGET),
  }),
  'observed-data': sdo(
    ['first_observed', 'last_observed', 'number_observed'],
    {
      first_observed: timestamp,
      last_observed: timestamp,
      number_observed: int(1, 999_999_999),
      objects: OBSERVED_DATA_OBJECTS,
      object_refs: refs(OBSERVATION_TARGET),
    },
    checkObservedData,
  ),
  opinion: sdo(['opinion', 'object_refs'], {
    explanation: str,
    authors: strList,
    opinion: enumOf(['strongly-disagree', 'disagree', 'neutral', 'agree', 'strongly-agree']),
    object_refs: refs(ANY_TARGET),
  }),
  report: sdo(['name', 'published', 'object_refs'], {
    name,
    description,
    report_types: strList,
    published: timestamp,
    object_refs: refs(ANY_TARGET),
  }),
  'threat-actor': sdo(['name'], {
    name,
    description,
    threat_actor_types: strList,
    aliases,
    first_seen: firstSeen,
    last_seen: lastSeen,
    roles: strList,
    goals: strList,
    sophistication: str,
    resource_level: str,
    primary_motivation: str,
    secondary_motivations: strList,
    personal_motivations: strList,
  }),
  tool: sdo(['name'], {
    name,
    description,
    tool_types: strList,
    aliases,
    kill_chain_phases: killChainPhases,
    tool_version: str,
  }),
  vulnerability: sdo(['name'], { name, description }),
  relationship: sdo(
    ['relationship_type', 'source_ref', 'target_ref'],
    {
      relationship_type: formatted(RELATIONSHIP_TYPE_RE, 'lower-case letters, digits and hyphens'),
      description,
      source_ref: ref(SDO_OR_SCO_TARGET),
      target_ref: ref(SDO_OR_SCO_TARGET),
      start_time: timestamp,
      stop_time: timestamp,
    },
    undefined,
    'sro',
  ),
  sighting: sdo(
    ['sighting_of_ref'],
    {
      description,
      first_seen: firstSeen,
      last_seen: lastSeen,
      count: int(0, 999_999_999),
      sighting_of_ref: ref(SDO_TARGET),
      observed_data_refs: refs(targetTypes('observed-data')),
      where_sighted_refs: refs(targetTypes('identity', 'location')),
      summary: bool,
    },
    undefined,
    'sro',
  ),
}

const META_SPECS: Readonly<Record<string, TypeSpec>> = {
  'marking-definition': {
    family: 'meta',
    required: ['created'],
    props: {
      created_by_ref: ref(IDENTITY),
      created: timestampMillisPreferred,
      external_references: externalReferences,
      object_marking_refs: refs(MARKING),
      granular_markings: granularMarkings,
      extensions: extensionsOf(NO_EXTENSIONS),
      defanged: onlyOnSco,
      name: str,
      definition_type: str,
      definition: dict,
    },
    extra: checkMarkingDefinition,
  },
  'language-content': sdo(
    ['object_ref', 'contents'],
    {
      object_ref: ref(ANY_TARGET),
      object_modified: timestamp,
      contents: (ctx, path, value) => {
        if (!isJsonObject(value)) {
          fail(ctx, path, 'value-type', `must be a dictionary of languages, not ${jsonType(value)}`)
          return
        }
        for (const tag of Object.keys(value)) {
          const translations = value[tag]
          const at = join(path, tag)
          if (!LANG_RE.test(tag)) {
            fail(ctx, at, 'lang', 'keys must be RFC 5646 language tags')
          }
          if (!isJsonObject(translations)) {
            fail(
              ctx,
              at,
              'value-type',
              `must be a dictionary of translated properties, not ${jsonType(translations)}`,
            )
            continue
          }
          for (const property of Object.keys(translations)) {
            if (!PROPERTY_NAME_RE.test(property)) {
              fail(ctx, join(at, property), 'property-name', 'must be the name of a property of the object')
            }
          }
        }
      },
    },
    undefined,
    'meta',
  ),
  'extension-definition': {
    family: 'meta',
    required: ['created', 'modified', 'created_by_ref', 'name', 'schema', 'version', 'extension_types'],
    props: {
      ...SDO_COMMON,
      name,
      description,
      schema: str,
      version: str,
      extension_types: listOf(extensionType, 'extension types'),
      extension_properties: strList,
    },
    extra: (ctx, _path, o) => {
      const types = o.extension_types
      if (
        has(o, 'extension_properties') &&
        !(isJsonArray(types) && types.includes('toplevel-property-extension'))
      ) {
        fail(ctx, 'extension_properties', 'dependency', 'is only allowed for toplevel-property-extension')
      }
    },
  },
}

// SCO extensions (STIX 2.1 section 6).
const ALTERNATE_DATA_STREAM: ObjSpec = { required: ['name'], props: { name: str, hashes, size: int(0) } }
const PE_SECTION: ObjSpec = { props: { name: str, size: int(0), entropy: num(), hashes } }
const PE_OPTIONAL_HEADER: Check = (ctx, path, value) => {
  if (!isJsonObject(value)) {
    fail(ctx, path, 'value-type', `must be a dictionary, not ${jsonType(value)}`)
    return
  }
  for (const key of Object.keys(value)) {
    const check = key === 'hashes' ? hashes : key.endsWith('_hex') ? hex : INTEGER
    check(ctx, join(path, key), value[key])
  }
}

const FILE_EXTENSIONS: Readonly<Record<string, ObjSpec>> = {
  'archive-ext': {
    required: ['contains_refs'],
    props: { contains_refs: refs(targetTypes('file', 'directory')), comment: str },
  },
  'ntfs-ext': {
    props: { sid: str, alternate_data_streams: objectList(ALTERNATE_DATA_STREAM) },
    extra: atLeastOne('sid', 'alternate_data_streams'),
  },
  'pdf-ext': {
    props: { version: str, is_optimized: bool, document_info_dict: dict, pdfid0: str, pdfid1: str },
    extra: atLeastOne('version', 'is_optimized', 'document_info_dict', 'pdfid0', 'pdfid1'),
  },
  'raster-image-ext': {
    props: { image_height: int(0), image_width: int(0), bits_per_pixel: int(0), exif_tags: dict },
    extra: atLeastOne('image_height', 'image_width', 'bits_per_pixel', 'exif_tags'),
  },
  'windows-pebinary-ext': {
    required: ['pe_type'],
    props: {
      pe_type: str,
      imphash: str,
      machine_hex: hex,
      number_of_sections: int(0),
      time_date_stamp: timestamp,
      pointer_to_symbol_table_hex: hex,
      number_of_symbols: int(0),
      size_of_optional_header: int(0),
      characteristics_hex: hex,
      file_header_hashes: hashes,
      optional_header: PE_OPTIONAL_HEADER,
      sections: objectList(PE_SECTION),
    },
  },
}

const NETWORK_TRAFFIC_EXTENSIONS: Readonly<Record<string, ObjSpec>> = {
  'http-request-ext': {
    required: ['request_method', 'request_value'],
    props: {
      request_method: str,
      request_value: str,
      request_version: str,
      request_header: dict,
      message_body_length: int(0),
      message_body_data_ref: ref(targetTypes('artifact')),
    },
  },
  'icmp-ext': {
    required: ['icmp_type_hex', 'icmp_code_hex'],
    props: { icmp_type_hex: hex, icmp_code_hex: hex },
  },
  'socket-ext': {
    required: ['address_family'],
    props: {
      address_family: enumOf([
        'AF_UNSPEC',
        'AF_INET',
        'AF_IPX',
        'AF_APPLETALK',
        'AF_NETBIOS',
        'AF_INET6',
        'AF_IRDA',
        'AF_BTH',
      ]),
      is_blocking: bool,
      is_listening: bool,
      options: dict,
      socket_type: enumOf(['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET']),
      socket_descriptor: int(0),
      socket_handle: int(),
    },
  },
  'tcp-ext': {
    props: { src_flags_hex: hex, dst_flags_hex: hex },
    extra: atLeastOne('src_flags_hex', 'dst_flags_hex'),
  },
}

const PROCESS_EXTENSIONS: Readonly<Record<string, ObjSpec>> = {
  'windows-process-ext': {
    props: {
      aslr_enabled: bool,
      dep_enabled: bool,
      priority: str,
      owner_sid: str,
      window_title: str,
      startup_info: dict,
      integrity_level: enumOf(['low', 'medium', 'high', 'system']),
    },
  },
  'windows-service-ext': {
    props: {
      service_name: str,
      descriptions: strList,
      display_name: str,
      group_name: str,
      start_type: enumOf([
        'SERVICE_AUTO_START',
        'SERVICE_BOOT_START',
        'SERVICE_DEMAND_START',
        'SERVICE_DISABLED',
        'SERVICE_SYSTEM_ALERT',
      ]),
      service_dll_refs: refs(targetTypes('file')),
      service_type: enumOf([
        'SERVICE_KERNEL_DRIVER',
        'SERVICE_FILE_SYSTEM_DRIVER',
        'SERVICE_WIN32_OWN_PROCESS',
        'SERVICE_WIN32_SHARE_PROCESS',
      ]),
      service_status: enumOf([
        'SERVICE_CONTINUE_PENDING',
        'SERVICE_PAUSE_PENDING',
        'SERVICE_PAUSED',
        'SERVICE_RUNNING',
        'SERVICE_START_PENDING',
        'SERVICE_STOP_PENDING',
        'SERVICE_STOPPED',
      ]),
    },
  },
}

const USER_ACCOUNT_EXTENSIONS: Readonly<Record<string, ObjSpec>> = {
  'unix-account-ext': { props: { gid: int(), groups: strList, home_dir: str, shell: str } },
}

const REGISTRY_VALUE: ObjSpec = {
  props: {
    name: str,
    data: str,
    data_type: enumOf([
      'REG_NONE',
      'REG_SZ',
      'REG_EXPAND_SZ',
      'REG_BINARY',
      'REG_DWORD',
      'REG_DWORD_BIG_ENDIAN',
      'REG_DWORD_LITTLE_ENDIAN',
      'REG_LINK',
      'REG_MULTI_SZ',
      'REG_RESOURCE_LIST',
      'REG_FULL_RESOURCE_DESCRIPTION',
      'REG_RESOURCE_REQUIREMENTS_LIST',
      'REG_QWORD',
      'REG_INVALID_TYPE',
    ]),
  },
}

const MIME_PART: ObjSpec = {
  props: {
    body: str,
    body_raw_ref: ref(targetTypes('artifact', 'file')),
    content_type: str,
    content_disposition: str,
  },
  extra: (ctx, path, o) => {
    if (has(o, 'body') === has(o, 'body_raw_ref')) {
      fail(ctx, path, has(o, 'body') ? 'exclusive' : 'required', 'needs exactly one of body and body_raw_ref')
    }
  },
}

const X509_V3_EXTENSIONS: Check = (ctx, path, value) => {
  if (!isJsonObject(value)) {
    fail(ctx, path, 'value-type', `must be a dictionary, not ${jsonType(value)}`)
    return
  }
  for (const key of Object.keys(value)) {
    const check = key.startsWith('private_key_usage_period_') ? timestamp : str
    check(ctx, join(path, key), value[key])
  }
}

const mimeType = formatted(MIME_RE, 'a MIME type (type/subtype)')
const SRC_OR_DST = atLeastOne('src_ref', 'dst_ref')
const INTEGER = int()

function notDefanged(o: Readonly<Record<string, unknown>>): boolean {
  return o.defanged !== true
}

function checkIpValue(version: 4 | 6): Extra {
  return (ctx, path, o) => {
    const value = o.value
    if (typeof value !== 'string' || !notDefanged(o)) {
      return
    }
    const slash = value.indexOf('/')
    const address = slash < 0 ? value : value.slice(0, slash)
    const prefix = slash < 0 ? null : value.slice(slash + 1)
    const maxPrefix = version === 4 ? 32 : 128
    const addressOk = version === 4 ? isIPv4(address) : isIPv6(address)
    const prefixOk = prefix === null || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix)
    if (!addressOk || !prefixOk) {
      fail(
        ctx,
        join(path, 'value'),
        'format',
        `must be an IPv${version} address or CIDR, not ${preview(value)}`,
      )
    }
  }
}

const SCO_SPECS: Readonly<Record<string, TypeSpec>> = {
  artifact: sco(
    [],
    {
      mime_type: mimeType,
      payload_bin: binary,
      url,
      hashes,
      encryption_algorithm: enumOf(['AES-256-GCM', 'ChaCha20-Poly1305', 'mime-type-indicated']),
      decryption_key: str,
    },
    (ctx, path, o) => {
      const payload = has(o, 'payload_bin')
      if (payload === has(o, 'url')) {
        fail(ctx, path, payload ? 'exclusive' : 'required', 'needs exactly one of payload_bin and url')
      }
      if (has(o, 'url') && !has(o, 'hashes')) {
        fail(ctx, join(path, 'hashes'), 'dependency', 'is required when url is present')
      }
      if (has(o, 'decryption_key') && !has(o, 'encryption_algorithm')) {
        fail(ctx, join(path, 'decryption_key'), 'dependency', 'is only allowed with encryption_algorithm')
      }
    },
  ),
  'autonomous-system': sco(['number'], { number: int(0), name: str, rir: str }),
  directory: sco(['path'], {
    path: str,
    path_enc: str,
    ctime: timestamp,
    mtime: timestamp,
    atime: timestamp,
    contains_refs: refs(targetTypes('file', 'directory')),
  }),
  'domain-name': sco(['value'], {
    value: str,
    resolves_to_refs: refs(targetTypes('ipv4-addr', 'ipv6-addr', 'domain-name')),
  }),
  'email-addr': sco(
    ['value'],
    { value: str, display_name: str, belongs_to_ref: ref(targetTypes('user-account')) },
    (ctx, path, o) => {
      if (typeof o.value === 'string' && notDefanged(o) && !o.value.includes('@')) {
        fail(
          ctx,
          join(path, 'value'),
          'format',
          `must be an e-mail address (addr-spec), not ${preview(o.value)}`,
        )
      }
    },
  ),
  'email-message': sco(
    ['is_multipart'],
    {
      is_multipart: bool,
      date: timestamp,
      content_type: str,
      from_ref: ref(targetTypes('email-addr')),
      sender_ref: ref(targetTypes('email-addr')),
      to_refs: refs(targetTypes('email-addr')),
      cc_refs: refs(targetTypes('email-addr')),
      bcc_refs: refs(targetTypes('email-addr')),
      message_id: str,
      subject: str,
      received_lines: strList,
      additional_header_fields: dict,
      body: str,
      body_multipart: objectList(MIME_PART),
      raw_email_ref: ref(targetTypes('artifact')),
    },
    (ctx, path, o) => {
      if (o.is_multipart === true && has(o, 'body')) {
        fail(
          ctx,
          join(path, 'body'),
          'exclusive',
          'is not allowed when is_multipart is true (use body_multipart)',
        )
      }
      if (o.is_multipart === false && has(o, 'body_multipart')) {
        fail(ctx, join(path, 'body_multipart'), 'exclusive', 'is only allowed when is_multipart is true')
      }
    },
  ),
  file: sco(
    [],
    {
      hashes,
      size: int(0),
      name: str,
      name_enc: str,
      magic_number_hex: hex,
      mime_type: mimeType,
      ctime: timestamp,
      mtime: timestamp,
      atime: timestamp,
      parent_directory_ref: ref(targetTypes('directory')),
      contains_refs: refs(SCO_TARGET),
      content_ref: ref(targetTypes('artifact')),
    },
    atLeastOne('hashes', 'name'),
    FILE_EXTENSIONS,
  ),
  'ipv4-addr': sco(
    ['value'],
    {
      value: str,
      resolves_to_refs: refs(targetTypes('mac-addr')),
      belongs_to_refs: refs(targetTypes('autonomous-system')),
    },
    checkIpValue(4),
  ),
  'ipv6-addr': sco(
    ['value'],
    {
      value: str,
      resolves_to_refs: refs(targetTypes('mac-addr')),
      belongs_to_refs: refs(targetTypes('autonomous-system')),
    },
    checkIpValue(6),
  ),
  'mac-addr': sco(['value'], { value: str }, (ctx, path, o) => {
    if (typeof o.value === 'string' && notDefanged(o) && !MAC_RE.test(o.value)) {
      fail(
        ctx,
        join(path, 'value'),
        'format',
        `must be a lower-case, colon-separated MAC-48, not ${preview(o.value)}`,
      )
    }
  }),
  mutex: sco(['name'], { name: str }),
  'network-traffic': sco(
    ['protocols'],
    {
      start: timestamp,
      end: timestamp,
      is_active: bool,
      src_ref: ref(ADDRESS_TARGET),
      dst_ref: ref(ADDRESS_TARGET),
      src_port: int(0, 65535),
      dst_port: int(0, 65535),
      protocols: strList,
      src_byte_count: int(0),
      dst_byte_count: int(0),
      src_packets: int(0),
      dst_packets: int(0),
      ipfix: dict,
      src_payload_ref: ref(targetTypes('artifact')),
      dst_payload_ref: ref(targetTypes('artifact')),
      encapsulates_refs: refs(targetTypes('network-traffic')),
      encapsulated_by_ref: ref(targetTypes('network-traffic')),
    },
    (ctx, path, o) => {
      SRC_OR_DST(ctx, path, o)
      if (o.is_active === true && has(o, 'end')) {
        fail(ctx, join(path, 'end'), 'exclusive', 'is not allowed when is_active is true')
      }
    },
    NETWORK_TRAFFIC_EXTENSIONS,
  ),
  process: sco(
    [],
    {
      is_hidden: bool,
      pid: int(),
      created_time: timestamp,
      cwd: str,
      command_line: str,
      environment_variables: dict,
      opened_connection_refs: refs(targetTypes('network-traffic')),
      creator_user_ref: ref(targetTypes('user-account')),
      image_ref: ref(targetTypes('file')),
      parent_ref: ref(targetTypes('process')),
      child_refs: refs(targetTypes('process')),
    },
    atLeastOneProperty,
    PROCESS_EXTENSIONS,
  ),
  software: sco(['name'], {
    name: str,
    cpe: formatted(CPE23_RE, 'a CPE 2.3 name'),
    swid: str,
    languages: listOf(formatted(ISO639_2_RE, 'an ISO 639-2 language code'), 'language codes'),
    vendor: str,
    version: str,
  }),
  url: sco(['value'], { value: url }),
  'user-account': sco(
    [],
    {
      user_id: str,
      credential: str,
      account_login: str,
      account_type: str,
      display_name: str,
      is_service_account: bool,
      is_privileged: bool,
      can_escalate_privs: bool,
      is_disabled: bool,
      account_created: timestamp,
      account_expires: timestamp,
      credential_last_changed: timestamp,
      account_first_login: timestamp,
      account_last_login: timestamp,
    },
    atLeastOneProperty,
    USER_ACCOUNT_EXTENSIONS,
  ),
  'windows-registry-key': sco(
    [],
    {
      key: str,
      values: objectList(REGISTRY_VALUE),
      modified_time: timestamp,
      creator_user_ref: ref(targetTypes('user-account')),
      number_of_subkeys: int(0),
    },
    atLeastOneProperty,
  ),
  'x509-certificate': sco(
    [],
    {
      is_self_signed: bool,
      hashes,
      version: str,
      serial_number: str,
      signature_algorithm: str,
      issuer: str,
      validity_not_before: timestamp,
      validity_not_after: timestamp,
      subject: str,
      subject_public_key_algorithm: str,
      subject_public_key_modulus: str,
      subject_public_key_exponent: int(0),
      x509_v3_extensions: X509_V3_EXTENSIONS,
    },
    atLeastOneProperty,
  ),
}

const SCO_COMMON_NAMES: ReadonlySet<string> = new Set([
  'type',
  'id',
  'spec_version',
  'object_marking_refs',
  'granular_markings',
  'defanged',
])

/** Process, user-account, registry-key and certificate objects need one property of their own. */
function atLeastOneProperty(ctx: Ctx, path: string, o: Readonly<Record<string, unknown>>): void {
  if (!Object.keys(o).some((key) => !SCO_COMMON_NAMES.has(key))) {
    fail(
      ctx,
      path,
      'required',
      `a ${String(o.type)} object needs at least one property besides the common ones`,
    )
  }
}

const SPECS: Readonly<Record<string, TypeSpec>> = { ...SDO_SPECS, ...META_SPECS, ...SCO_SPECS }

const CUSTOM_SDO: TypeSpec = sdo([], {}, undefined, 'custom-sdo')
const CUSTOM_SCO: TypeSpec = { ...sco([], {}), family: 'custom-sco' }

/** The required properties of STIX 2.0 objects (besides `type`, `id`, `created`, `modified`). */
const REQUIRED_20: Readonly<Record<string, readonly string[]>> = {
  'attack-pattern': ['name'],
  campaign: ['name'],
  'course-of-action': ['name'],
  identity: ['name', 'identity_class'],
  indicator: ['labels', 'pattern', 'valid_from'],
  'intrusion-set': ['name'],
  malware: ['labels', 'name'],
  'observed-data': ['first_observed', 'last_observed', 'number_observed', 'objects'],
  report: ['labels', 'name', 'published', 'object_refs'],
  'threat-actor': ['labels', 'name'],
  tool: ['labels', 'name'],
  vulnerability: ['name'],
  relationship: ['relationship_type', 'source_ref', 'target_ref'],
  sighting: ['sighting_of_ref'],
}

/** Timestamp pairs `[later, earlier, strictly]` each type orders (besides `modified` ≥ `created`). */
const ORDERED_TIMESTAMPS: Readonly<Record<string, readonly (readonly [string, string, boolean])[]>> = {
  campaign: [['last_seen', 'first_seen', false]],
  indicator: [['valid_until', 'valid_from', true]],
  infrastructure: [['last_seen', 'first_seen', false]],
  'intrusion-set': [['last_seen', 'first_seen', false]],
  malware: [['last_seen', 'first_seen', false]],
  'malware-analysis': [['analysis_ended', 'analysis_started', false]],
  'observed-data': [['last_observed', 'first_observed', false]],
  relationship: [['stop_time', 'start_time', true]],
  sighting: [['last_seen', 'first_seen', false]],
  'threat-actor': [['last_seen', 'first_seen', false]],
  'network-traffic': [['end', 'start', false]],
}

const COMMON_ORDER: readonly (readonly [string, string, boolean])[] = [['modified', 'created', false]]

function checkOrder(ctx: Ctx, path: string, o: Readonly<Record<string, unknown>>, type: string): void {
  for (const pairs of [COMMON_ORDER, ORDERED_TIMESTAMPS[type] ?? []]) {
    for (const [later, earlier, strictly] of pairs) {
      const a = o[later]
      const b = o[earlier]
      if (
        typeof a !== 'string' ||
        typeof b !== 'string' ||
        timestampError(a) !== null ||
        timestampError(b) !== null
      ) {
        continue
      }
      const order = compareStixTimestamps(a, b)
      if (order < 0 || (strictly && order === 0)) {
        const relation = strictly ? 'later than' : 'equal to or later than'
        fail(ctx, join(path, later), 'timestamp-order', `must be ${relation} ${earlier} (${a} vs ${b})`)
      }
    }
  }
}

function checkSelectors(ctx: Ctx, o: Readonly<Record<string, unknown>>): void {
  const granular = o.granular_markings
  if (!isJsonArray(granular)) {
    return
  }
  granular.forEach((marking, i) => {
    const selectors = isJsonObject(marking) ? marking.selectors : undefined
    if (!isJsonArray(selectors)) {
      return
    }
    selectors.forEach((selector, j) => {
      if (typeof selector === 'string' && !selectorResolves(o, selector)) {
        fail(
          ctx,
          `granular_markings[${i}].selectors[${j}]`,
          'selector',
          `${preview(selector)} does not select a property of this object`,
        )
      }
    })
  })
}

function selectorResolves(o: Readonly<Record<string, unknown>>, selector: string): boolean {
  let node: unknown = o
  for (const segment of selector.split('.')) {
    const index = SELECTOR_INDEX_RE.exec(segment)
    if (index !== null) {
      if (!isJsonArray(node)) {
        return false
      }
      node = node[Number(index[1])]
    } else {
      if (!isJsonObject(node) || !Object.hasOwn(node, segment)) {
        return false
      }
      node = node[segment]
    }
    if (node === undefined) {
      return false
    }
  }
  return true
}

// ---------------------------------------------------------------------------------------------------------
// Objects and content

const SPEC_VERSION_FAMILIES: ReadonlySet<Family> = new Set(['sdo', 'sro', 'meta', 'custom-sdo'])

function isStixObjectShape(o: Readonly<Record<string, unknown>>): o is StixObject {
  return (
    typeof o.type === 'string' &&
    typeof o.id === 'string' &&
    (o.spec_version === undefined || typeof o.spec_version === 'string') &&
    (o.created === undefined || typeof o.created === 'string') &&
    (o.modified === undefined || typeof o.modified === 'string')
  )
}

function specOf(type: string, o: Readonly<Record<string, unknown>>): TypeSpec {
  // Like the OASIS validator: a custom object with created or modified is SDO-like, else SCO-like.
  return SPECS[type] ?? (has(o, 'created') || has(o, 'modified') ? CUSTOM_SDO : CUSTOM_SCO)
}

function checkTopLevel(base: Ctx, raw: unknown): StixObject | null {
  if (!isJsonObject(raw)) {
    fail(base, '', 'json-object', `must be a JSON object, not ${jsonType(raw)}`)
    return null
  }
  const type = typeof raw.type === 'string' ? raw.type : null
  const id = typeof raw.id === 'string' ? raw.id : null
  const version: Version = base.version === '2.0' && raw.spec_version === '2.1' ? '2.1' : base.version
  const ctx: Ctx = { ...base, id, type, version }
  checkTypeAndId(ctx, raw, type, id)
  if (type === null) {
    return null
  }
  const spec = specOf(type, raw)
  const sv = raw.spec_version
  if (version === '2.1' && SPEC_VERSION_FAMILIES.has(spec.family) && sv === undefined) {
    fail(ctx, 'spec_version', 'required', 'is required ("2.1") on SDOs, SROs, meta and custom objects')
  } else if (sv !== undefined && sv !== '2.1' && !(version === '2.0' && sv === '2.0')) {
    fail(ctx, 'spec_version', 'spec-version', `must be "2.1", not ${preview(sv)}`)
  }
  const required = version === '2.0' ? requiredIn20(type, spec) : spec.required
  checkBody(ctx, '', raw, spec, true, required, true)
  checkOrder(ctx, '', raw, type)
  checkSelectors(ctx, raw)
  if (spec.family === 'sco') {
    checkScoId(ctx, raw, id)
  }
  return isStixObjectShape(raw) ? raw : null
}

function requiredIn20(type: string, spec: TypeSpec): readonly string[] {
  const specific = REQUIRED_20[type]
  if (specific === undefined) {
    return spec.required ?? []
  }
  return spec.family === 'sdo' || spec.family === 'sro' ? ['created', 'modified', ...specific] : specific
}

function checkTypeAndId(
  ctx: Ctx,
  raw: Readonly<Record<string, unknown>>,
  type: string | null,
  id: string | null,
): void {
  if (raw.type === undefined) {
    fail(ctx, 'type', 'required', 'is required')
  } else if (type === null) {
    fail(ctx, 'type', 'value-type', `must be a string, not ${jsonType(raw.type)}`)
  } else if (type.length < 3 || type.length > 250 || !STIX_TYPE_RE.test(type)) {
    fail(
      ctx,
      'type',
      'type-name',
      'must be 3–250 characters of a–z, 0–9 and single hyphens, starting with a letter',
    )
  } else if (type === 'action') {
    fail(ctx, 'type', 'reserved', 'action is a reserved object type')
  } else if (type === 'bundle') {
    fail(ctx, 'type', 'type-name', 'a bundle cannot be inside STIX content')
  }
  if (raw.id === undefined) {
    fail(ctx, 'id', 'required', 'is required')
    return
  }
  if (id === null) {
    fail(ctx, 'id', 'value-type', `must be a string, not ${jsonType(raw.id)}`)
    return
  }
  const idType = stixIdType(id)
  if (idType === null) {
    fail(ctx, 'id', 'id-format', `must be <type>--<RFC 4122 UUID>, not ${preview(id)}`)
  } else if (type !== null && idType !== type) {
    fail(ctx, 'id', 'id-type', `must start with ${type}--, not ${idType}--`)
  }
}

function hasStringType(
  o: Readonly<Record<string, unknown>>,
): o is Readonly<Record<string, unknown>> & { readonly type: string } {
  return typeof o.type === 'string'
}

function checkScoId(ctx: Ctx, raw: Readonly<Record<string, unknown>>, id: string | null): void {
  const parsed = id === null ? null : parseStixId(id)
  if (parsed === null || !hasStringType(raw)) {
    return
  }
  const uuidVersion = parsed.uuid.charAt(14)
  if (uuidVersion === '4' && !ctx.collectWarnings) {
    // A UUIDv4 is allowed either way; deriving the deterministic id would only serve a warning.
    return
  }
  const derived = derivedScoId(raw)
  if (derived === null) {
    if (uuidVersion !== '4') {
      fail(ctx, 'id', 'id-uuid-version', 'must be a UUIDv4: the object has no ID-contributing property')
    }
    return
  }
  if (derived !== `${parsed.type}--${parsed.uuid}`) {
    warn(ctx, 'id', 'sco-id', `is not the deterministic id of its ID-contributing properties (${derived})`)
  }
}

function detectVersion(bundle: Readonly<Record<string, unknown>> | null, items: readonly unknown[]): Version {
  if (bundle?.spec_version === '2.0') {
    return '2.0'
  }
  if (bundle?.spec_version === '2.1') {
    return '2.1'
  }
  let looks20 = false
  for (const item of items) {
    const evidence = stixVersionEvidence(item)
    if (evidence === '2.1') {
      return '2.1'
    }
    looks20 ||= evidence === '2.0'
  }
  return looks20 ? '2.0' : '2.1'
}

/**
 * What one element of a bundle says about the content's STIX version: `2.1` when it declares it
 * (content with any such object is 2.1), `2.0` when it is an SDO/SRO without `spec_version` (the
 * spec's implicit value), null when it says nothing (an SCO). Content is 2.0 when some element says
 * 2.0 and none says 2.1, unless the bundle declares its version.
 */
export function stixVersionEvidence(item: unknown): Version | null {
  if (!isJsonObject(item)) {
    return null
  }
  if (item.spec_version === '2.1') {
    return '2.1'
  }
  if (item.spec_version === undefined && typeof item.type === 'string') {
    const family = familyOf(item.type)
    const sdoLike = family === 'custom' ? has(item, 'created') || has(item, 'modified') : family !== 'sco'
    return sdoLike ? '2.0' : null
  }
  return null
}

function checkBundle(ctx: Ctx, bundle: Readonly<Record<string, unknown>>): readonly unknown[] {
  const id = bundle.id
  if (id === undefined) {
    fail(ctx, 'id', 'required', 'is required')
  } else if (typeof id !== 'string' || stixIdType(id) !== 'bundle') {
    fail(ctx, 'id', 'id-format', `must be bundle--<UUID>, not ${preview(id)}`)
  }
  const sv = bundle.spec_version
  if (sv === '2.1') {
    // Only a warning, as in the OASIS validator: the content is 2.1 all the same.
    warn(ctx, 'spec_version', 'spec-version', 'STIX 2.1 bundles have none (only a 2.0 bundle declares "2.0")')
  } else if (sv !== undefined && sv !== '2.0') {
    fail(
      ctx,
      'spec_version',
      'spec-version',
      `must be "2.0" (STIX 2.1 bundles have none), not ${preview(sv)}`,
    )
  }
  const objects = bundle.objects
  if (objects === undefined) {
    return []
  }
  if (!isJsonArray(objects)) {
    fail(ctx, 'objects', 'value-type', `must be a list of STIX objects, not ${jsonType(objects)}`)
    return []
  }
  if (objects.length === 0) {
    fail(ctx, 'objects', 'empty-list', 'must not be an empty list (leave the property out instead)')
  }
  return objects
}

/**
 * Validates STIX content: a bundle, a single object, or a bare list of objects. Collects every
 * problem; objects keep their position (`index`) so a lenient import can skip just the broken ones.
 *
 * @example
 * const checkPattern = (pattern: string) => {
 *   const parsed = parsePattern(pattern)
 *   return parsed.ok ? null : parsed.error.message
 * }
 * const result = validateStixContent(JSON.parse(body), { checkPattern })
 * if (result.specVersion === '2.0') {
 *   // upgradeStix20(result.objects.map((entry) => entry.object)), then validate again
 * }
 * for (const p of result.problems) log(p.message) // object 3 (indicator--…): valid_from: must be …
 */
export function validateStixContent(content: unknown, options: ValidateOptions = {}): ValidationResult {
  const problems: StixProblem[] = []
  const warnings: StixProblem[] = []
  const base: Ctx = {
    index: -1,
    id: null,
    type: null,
    version: '2.1',
    problems,
    warnings,
    collectWarnings: options.warnings ?? true,
    checkPattern: options.checkPattern,
    local: null,
  }
  let items: readonly unknown[]
  let bundle: Readonly<Record<string, unknown>> | null = null
  if (isJsonArray(content)) {
    items = content
    if (items.length === 0) {
      fail(base, '', 'empty-list', 'holds no STIX objects')
    }
  } else if (isJsonObject(content) && content.type === 'bundle') {
    bundle = content
    items = checkBundle(
      { ...base, id: typeof content.id === 'string' ? content.id : null, type: 'bundle' },
      content,
    )
  } else if (isJsonObject(content) && typeof content.type === 'string') {
    items = [content]
  } else {
    fail(base, '', 'not-stix', 'is not STIX: expected a bundle, an object with a type, or a list of objects')
    return { specVersion: 'unknown', objects: [], problems, warnings }
  }
  const version = options.version ?? detectVersion(bundle, items)
  const objects: { index: number; object: StixObject }[] = []
  const first = options.firstIndex ?? 0
  for (let i = 0; i < items.length; i++) {
    const index = first + i
    const object = checkTopLevel({ ...base, index, version }, items[i])
    if (object !== null) {
      objects.push({ index, object })
    }
  }
  return { specVersion: version, objects, problems, warnings }
}

/**
 * The objects of a validation result that have no problem, for a lenient import.
 *
 * @example
 * const importable = objectsWithoutProblems(validateStixContent(bundle))
 */
export function objectsWithoutProblems(result: ValidationResult): StixObject[] {
  const broken = new Set(result.problems.map((p) => p.index))
  return result.objects.filter((entry) => !broken.has(entry.index)).map((entry) => entry.object)
}
