/**
 * STIX 2.1 patterning (`pattern_type: "stix"`, STIX 2.1 section 9): a hand-written, single-pass parser
 * (no ANTLR, no dependencies, no exceptions) that validates a pattern and returns its syntax tree, the
 * equality comparisons Liaison indexes, and the canonical text of a tree.
 */

/** A string constant: `'…'` with `\'` and `\\` unescaped. */
export interface StringConstant {
  readonly kind: 'string'
  readonly value: string
}

/**
 * A constant on the right of a comparison. Timestamps keep their RFC 3339 text (full precision),
 * hex and binary constants keep the text between the quotes.
 */
export type PatternConstant =
  | StringConstant
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'timestamp'; readonly value: string }
  | { readonly kind: 'hex'; readonly value: string }
  | { readonly kind: 'binary'; readonly value: string }

/** An integer or float constant. */
type NumberConstant = Extract<PatternConstant, { readonly kind: 'integer' | 'float' }>

/** A constant the ordering operators (`<`, `<=`, `>`, `>=`) accept: anything but a boolean. */
export type OrderableConstant = Exclude<PatternConstant, { readonly kind: 'boolean' }>

/** One step of an object path: a property or dictionary key (quoted or not), or a list index. */
export type PathStep =
  | { readonly kind: 'property'; readonly name: string }
  /** `[n]`, or `'*'` for `[*]` (any element). */
  | { readonly kind: 'index'; readonly index: number | '*' }

/** An object path `type:prop.sub[*].'quoted key'`; the first step is always a property. */
export interface ObjectPath {
  readonly objectType: string
  readonly steps: readonly PathStep[]
}

/** Every comparison operator of STIX 2.1 patterning. */
export type ComparisonOperator =
  '=' | '!=' | '>' | '<' | '>=' | '<=' | 'IN' | 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET' | 'EXISTS'

interface ComparisonBase {
  readonly kind: 'comparison'
  readonly path: ObjectPath
  /** The comparison was preceded by `NOT`. */
  readonly negated: boolean
}

/** `path = constant` or `path != constant` (`==` and `<>` are read as aliases). */
export interface EqualityComparison extends ComparisonBase {
  readonly operator: '=' | '!='
  readonly value: PatternConstant
}

/** `path > constant` and the other ordering operators. */
export interface OrderComparison extends ComparisonBase {
  readonly operator: '>' | '<' | '>=' | '<='
  readonly value: OrderableConstant
}

/** `path IN (constant, …)`. */
export interface SetComparison extends ComparisonBase {
  readonly operator: 'IN'
  readonly values: readonly PatternConstant[]
}

/** `LIKE` (SQL wildcards), `MATCHES` (PCRE), `ISSUBSET` / `ISSUPERSET` (IP address or CIDR range). */
export interface StringComparison extends ComparisonBase {
  readonly operator: 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET'
  readonly value: StringConstant
}

/** `EXISTS path`. */
export interface ExistsComparison extends ComparisonBase {
  readonly operator: 'EXISTS'
}

/** One comparison of an object path against a constant. */
export type Comparison =
  EqualityComparison | OrderComparison | SetComparison | StringComparison | ExistsComparison

/**
 * Comparison expressions joined by one operator (`AND` binds tighter than `OR`); a nested operation is
 * one that was in parentheses.
 */
export interface ComparisonOperation {
  readonly kind: 'comparison-operation'
  readonly operator: 'AND' | 'OR'
  /** At least two operands, in source order. */
  readonly operands: readonly ComparisonExpression[]
}

/** The inside of `[ … ]`. */
export type ComparisonExpression = Comparison | ComparisonOperation

/** `[ comparison expression ]`: matches one observation. */
export interface Observation {
  readonly kind: 'observation'
  readonly comparison: ComparisonExpression
}

/**
 * Observation expressions joined by one operator (precedence `AND` > `OR` > `FOLLOWEDBY`); a nested
 * operation is one that was in parentheses.
 */
export interface ObservationOperation {
  readonly kind: 'observation-operation'
  readonly operator: 'AND' | 'OR' | 'FOLLOWEDBY'
  /** At least two operands, in source order. */
  readonly operands: readonly ObservationExpression[]
}

/** A qualifier after an observation expression. */
export type Qualifier =
  | { readonly kind: 'within'; readonly seconds: number }
  | { readonly kind: 'repeats'; readonly times: number }
  /** Timestamps as written, without the `t'…'`. */
  | { readonly kind: 'start-stop'; readonly start: string; readonly stop: string }

/**
 * An observation expression with one qualifier; `X WITHIN 5 SECONDS REPEATS 2 TIMES` is the REPEATS
 * qualifier around the WITHIN one.
 */
export interface QualifiedObservation {
  readonly kind: 'qualified'
  readonly expression: ObservationExpression
  readonly qualifier: Qualifier
}

/** An observation expression: bracketed comparisons, operators between them, qualifiers. */
export type ObservationExpression = Observation | ObservationOperation | QualifiedObservation

/** A parsed STIX pattern. */
export interface Pattern {
  readonly kind: 'pattern'
  readonly expression: ObservationExpression
}

/** Why a pattern is invalid: `offset` is the UTF-16 index in the pattern, also named in `message`. */
export interface PatternError {
  readonly message: string
  readonly offset: number
}

/** The outcome of {@link parsePattern}. */
export type PatternResult = { ok: true; ast: Pattern } | { ok: false; error: PatternError }

/** One equality a pattern tests, as Liaison indexes it to correlate indicators with observables. */
export interface PatternEquality {
  readonly objectType: string
  /** Dotted path without quotes, e.g. `hashes.SHA-256`, `to_refs[*].value`. */
  readonly path: string
  /** Timestamps, hex and binary constants as their text. */
  readonly value: string | number | boolean
  /** `NOT =` or `NOT IN`. */
  readonly negated: boolean
}

/** Parentheses nest at most this deep, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 200
const MIN_TYPE_LENGTH = 3
const MAX_TYPE_LENGTH = 250
const MAX_QUOTED_IN_MESSAGE = 48

const SPACE = 32
const BANG = 33
const QUOTE = 39
const LPAREN = 40
const RPAREN = 41
const STAR = 42
const PLUS = 43
const COMMA = 44
const MINUS = 45
const DOT = 46
const SLASH = 47
const ZERO = 48
const NINE = 57
const COLON = 58
const LESS = 60
const EQUALS = 61
const GREATER = 62
const UPPER_A = 65
const UPPER_F = 70
const UPPER_Z = 90
const LBRACKET = 91
const BACKSLASH = 92
const RBRACKET = 93
const UNDERSCORE = 95
const LOWER_A = 97
const LOWER_B = 98
const LOWER_F = 102
const LOWER_H = 104
const LOWER_T = 116
const LOWER_Z = 122

const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'FOLLOWEDBY',
  'LIKE',
  'MATCHES',
  'ISSUBSET',
  'ISSUPERSET',
  'EXISTS',
  'IN',
  'START',
  'STOP',
  'SECONDS',
  'WITHIN',
  'REPEATS',
  'TIMES',
])

const OBSERVATION_OPERATORS = ['FOLLOWEDBY', 'OR', 'AND'] as const
const WITHIN_BIT = 1
const REPEATS_BIT = 2
const START_STOP_BIT = 4

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE
}

function isLower(c: number): boolean {
  return c >= LOWER_A && c <= LOWER_Z
}

function isUpper(c: number): boolean {
  return c >= UPPER_A && c <= UPPER_Z
}

/** `[A-Za-z0-9_]`: what unquoted property names and keywords are made of. */
function isWordChar(c: number): boolean {
  return isLower(c) || isUpper(c) || isDigit(c) || c === UNDERSCORE
}

/** Word characters and `-`: a keyword followed by one of these is part of a longer name. */
function isNameChar(c: number): boolean {
  return isWordChar(c) || c === MINUS
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= LOWER_A && c <= LOWER_F) || (c >= UPPER_A && c <= UPPER_F)
}

function isBase64Char(c: number): boolean {
  return isLower(c) || isUpper(c) || isDigit(c) || c === PLUS || c === SLASH || c === EQUALS
}

/** The white space the reference grammar skips, beyond ASCII. */
function isUnicodeSpace(c: number): boolean {
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  )
}

function truncate(text: string): string {
  return text.length > MAX_QUOTED_IN_MESSAGE ? `${text.slice(0, MAX_QUOTED_IN_MESSAGE)}…` : text
}

/** A hint for a keyword written in the wrong case (`and`, `Within`). */
function keywordHint(word: string): string | undefined {
  const upper = word.toUpperCase()
  if (upper === word || !KEYWORDS.has(upper)) {
    return undefined
  }
  return `keywords are upper-case: ${upper}`
}

/** `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`, 3–250 characters. */
function isValidObjectType(text: string): boolean {
  if (text.length < MIN_TYPE_LENGTH || text.length > MAX_TYPE_LENGTH || !isLower(text.charCodeAt(0))) {
    return false
  }
  let previousHyphen = false
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === MINUS) {
      if (previousHyphen) {
        return false
      }
      previousHyphen = true
      continue
    }
    if (!isLower(c) && !isDigit(c)) {
      return false
    }
    previousHyphen = false
  }
  return !previousHyphen
}

function digitsAt(text: string, from: number, count: number): number {
  let value = 0
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i)
    if (!isDigit(c)) {
      return -1
    }
    value = value * 10 + (c - ZERO)
  }
  return value
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
    return leap ? 29 : 28
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** `YYYY-MM-DDTHH:mm:ss[.s+]Z`, with a real calendar date (second 60 allowed for leap seconds). */
function isValidTimestamp(text: string): boolean {
  const n = text.length
  if (n < 20 || text.charCodeAt(n - 1) !== 0x5a) {
    return false
  }
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') {
    return false
  }
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 2)
  const day = digitsAt(text, 8, 2)
  const hour = digitsAt(text, 11, 2)
  const minute = digitsAt(text, 14, 2)
  const second = digitsAt(text, 17, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return false
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return false
  }
  if (n === 20) {
    return true
  }
  return text[19] === '.' && n > 21 && digitsAt(text, 20, n - 21) >= 0
}

/** Orders two valid timestamps at full precision (JavaScript dates keep only milliseconds). */
function compareTimestamps(a: string, b: string): number {
  const headA = a.slice(0, 19)
  const headB = b.slice(0, 19)
  if (headA !== headB) {
    return headA < headB ? -1 : 1
  }
  const fractionA = a.slice(20, -1)
  const fractionB = b.slice(20, -1)
  const width = Math.max(fractionA.length, fractionB.length)
  const paddedA = fractionA.padEnd(width, '0')
  const paddedB = fractionB.padEnd(width, '0')
  return paddedA < paddedB ? -1 : paddedA > paddedB ? 1 : 0
}

/** Base64 in groups of four, `=` padding only at the end, at least one group. */
function isValidBase64(text: string): boolean {
  if (text.length === 0 || text.length % 4 !== 0) {
    return false
  }
  const pad = text.indexOf('=')
  if (pad === -1) {
    return true
  }
  return pad >= text.length - 2 && (pad === text.length - 1 || text.charCodeAt(text.length - 1) === EQUALS)
}

function isDecimalBelow(text: string, limit: number): boolean {
  if (text.length === 0 || text.length > 3 || (text.length > 1 && text[0] === '0')) {
    return false
  }
  const value = digitsAt(text, 0, text.length)
  return value >= 0 && value <= limit
}

function isIpv4(text: string): boolean {
  const parts = text.split('.')
  return parts.length === 4 && parts.every((part) => isDecimalBelow(part, 255))
}

function isIpv6(text: string): boolean {
  const gap = text.indexOf('::')
  if (gap !== -1 && text.includes('::', gap + 1)) {
    return false
  }
  const parts: string[] = []
  for (const side of gap === -1 ? [text] : [text.slice(0, gap), text.slice(gap + 2)]) {
    if (side !== '') {
      parts.push(...side.split(':'))
    }
  }
  let groups = 0
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k] ?? ''
    if (k === parts.length - 1 && part.includes('.') && text.endsWith(part)) {
      if (!isIpv4(part)) {
        return false
      }
      groups += 2
      continue
    }
    if (part.length === 0 || part.length > 4) {
      return false
    }
    for (let i = 0; i < part.length; i++) {
      if (!isHexDigit(part.charCodeAt(i))) {
        return false
      }
    }
    groups++
  }
  return gap === -1 ? groups === 8 : groups <= 7
}

/** An IPv4 or IPv6 address, optionally with a `/prefix`: what ISSUBSET and ISSUPERSET compare. */
function isIpOrCidr(text: string): boolean {
  const slash = text.indexOf('/')
  const address = slash === -1 ? text : text.slice(0, slash)
  const v6 = address.includes(':')
  if (slash !== -1 && !isDecimalBelow(text.slice(slash + 1), v6 ? 128 : 32)) {
    return false
  }
  return v6 ? isIpv6(address) : isIpv4(address)
}

/**
 * References that may point at an ipv4-addr or ipv6-addr object, with the object type that has them:
 * network-traffic `src_ref` / `dst_ref` and domain-name `resolves_to_refs` (STIX 2.1 sections 6.12, 6.3).
 */
const IP_REFERENCES: ReadonlyMap<string, string> = new Map([
  ['src_ref', 'network-traffic'],
  ['dst_ref', 'network-traffic'],
  ['resolves_to_refs', 'domain-name'],
])

/**
 * True when a path names an IP address value, the only thing ISSUBSET and ISSUPERSET compare (STIX 2.1
 * section 9.5): `ipv4-addr:value`, `ipv6-addr:value`, or the `value` of a reference that may point at
 * one (`network-traffic:dst_ref.value`, `domain-name:resolves_to_refs[*].value`).
 */
function namesIpValue(path: ObjectPath): boolean {
  const steps = path.steps
  const last = steps[steps.length - 1]
  if (last?.kind !== 'property' || last.name !== 'value') {
    return false
  }
  if (steps.length === 1) {
    return path.objectType === 'ipv4-addr' || path.objectType === 'ipv6-addr'
  }
  let at = steps.length - 2
  while (steps[at]?.kind === 'index') {
    at--
  }
  const reference = steps[at]
  const owner = reference?.kind === 'property' ? IP_REFERENCES.get(reference.name) : undefined
  // Deeper in a path the referring object's type is not known (network-traffic:encapsulated_by_ref.dst_ref).
  return owner !== undefined && (at > 0 || owner === path.objectType)
}

class Parser {
  error: PatternError | null = null
  private readonly src: string
  private pos = 0
  private depth = 0
  /** Object type of the comparison expression parsed last… */
  private type = ''
  /** …and, when an OR mixed object types, another type it contains (AND may not join those). */
  private mixedWith: string | null = null

  constructor(src: string) {
    this.src = src
  }

  parse(): Pattern | null {
    this.skipSpace()
    if (this.pos >= this.src.length) {
      return this.fail('empty pattern', this.pos)
    }
    const expression = this.parseObservationLevel(0)
    if (expression === null) {
      return null
    }
    this.skipSpace()
    if (this.pos < this.src.length) {
      const word = this.wordAt(this.pos)
      return this.fail(
        `unexpected ${this.describeAt(this.pos)}`,
        this.pos,
        keywordHint(word) ?? 'expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern',
      )
    }
    return this.error === null ? { kind: 'pattern', expression } : null
  }

  private fail(message: string, offset: number, hint?: string): null {
    if (this.error === null) {
      const suffix = hint === undefined ? '' : ` (${hint})`
      this.error = { message: `${message} at offset ${offset}${suffix}`, offset }
    }
    return null
  }

  private expected(what: string, offset: number): null {
    if (offset >= this.src.length) {
      return this.fail(`expected ${what}`, offset)
    }
    return this.fail(
      `expected ${what} but found ${this.describeAt(offset)}`,
      offset,
      keywordHint(this.wordAt(offset)),
    )
  }

  private wordAt(offset: number): string {
    let end = offset
    while (end < this.src.length && isNameChar(this.src.charCodeAt(end))) {
      end++
    }
    return this.src.slice(offset, end)
  }

  private describeAt(offset: number): string {
    if (offset >= this.src.length) {
      return 'the end of the pattern'
    }
    if (this.src.charCodeAt(offset) === QUOTE) {
      return 'a string'
    }
    const word = this.wordAt(offset)
    if (word !== '') {
      return `'${truncate(word)}'`
    }
    return `'${String.fromCodePoint(this.src.codePointAt(offset) ?? 0)}'`
  }

  /** Skips white space and comments (`/* … *\/`, `// …`), as the reference grammar does. */
  private skipSpace(): void {
    const src = this.src
    let pos = this.pos
    while (pos < src.length) {
      const c = src.charCodeAt(pos)
      if (c === SPACE || (c >= 9 && c <= 13)) {
        pos++
        continue
      }
      if (c === SLASH) {
        const next = src.charCodeAt(pos + 1)
        if (next === SLASH) {
          pos += 2
          while (pos < src.length && src.charCodeAt(pos) !== 10 && src.charCodeAt(pos) !== 13) {
            pos++
          }
          continue
        }
        if (next === STAR) {
          const end = src.indexOf('*/', pos + 2)
          if (end === -1) {
            this.fail('unterminated comment', pos)
            pos = src.length
            break
          }
          pos = end + 2
          continue
        }
        break
      }
      if (c > 127 && isUnicodeSpace(c)) {
        pos++
        continue
      }
      break
    }
    this.pos = pos
  }

  /** True when the upper-case `keyword` starts at the current position as a whole word. */
  private atKeyword(keyword: string): boolean {
    return (
      this.src.startsWith(keyword, this.pos) && !isNameChar(this.src.charCodeAt(this.pos + keyword.length))
    )
  }

  private enter(offset: number): boolean {
    if (this.depth >= MAX_DEPTH) {
      this.fail(`parentheses nested more than ${MAX_DEPTH} deep`, offset)
      return false
    }
    this.depth++
    return true
  }

  // Observation expressions: FOLLOWEDBY < OR < AND < qualified primary.

  private parseObservationLevel(level: number): ObservationExpression | null {
    const operator = OBSERVATION_OPERATORS[level]
    if (operator === undefined) {
      return this.parseObservationPrimary()
    }
    const first = this.parseObservationLevel(level + 1)
    if (first === null) {
      return null
    }
    this.skipSpace()
    if (!this.atKeyword(operator)) {
      return first
    }
    const operands = [first]
    while (this.atKeyword(operator)) {
      this.pos += operator.length
      const next = this.parseObservationLevel(level + 1)
      if (next === null) {
        return null
      }
      operands.push(next)
      this.skipSpace()
    }
    return { kind: 'observation-operation', operator, operands }
  }

  private parseObservationPrimary(): ObservationExpression | null {
    this.skipSpace()
    const start = this.pos
    const c = this.src.charCodeAt(start)
    let node: ObservationExpression
    if (c === LBRACKET) {
      this.pos++
      const comparison = this.parseComparisonOr()
      if (comparison === null) {
        return null
      }
      this.skipSpace()
      if (this.src.charCodeAt(this.pos) !== RBRACKET) {
        return this.expected("']'", this.pos)
      }
      this.pos++
      node = { kind: 'observation', comparison }
    } else if (c === LPAREN) {
      if (!this.enter(start)) {
        return null
      }
      this.pos++
      const inner = this.parseObservationLevel(0)
      if (inner === null) {
        return null
      }
      this.skipSpace()
      if (this.src.charCodeAt(this.pos) !== RPAREN) {
        return this.expected("')'", this.pos)
      }
      this.pos++
      this.depth--
      node = inner
    } else {
      return this.failObservationStart(start)
    }
    return this.parseQualifiers(node)
  }

  private failObservationStart(start: number): null {
    if (this.atKeyword('WITHIN') || this.atKeyword('REPEATS') || this.atKeyword('START')) {
      return this.fail('observation qualifiers must follow an observation expression', start)
    }
    const word = this.wordAt(start)
    if (word !== '' && this.src.charCodeAt(start + word.length) === COLON) {
      return this.fail(
        'comparison expressions must be enclosed in square brackets',
        start,
        `e.g. [${truncate(word)}:… = '…']`,
      )
    }
    return this.expected("an observation expression ('[' or '(')", start)
  }

  private parseQualifiers(expression: ObservationExpression): ObservationExpression | null {
    let node = expression
    let seen = 0
    for (;;) {
      this.skipSpace()
      const start = this.pos
      const keyword = this.atKeyword('WITHIN')
        ? 'WITHIN'
        : this.atKeyword('REPEATS')
          ? 'REPEATS'
          : this.atKeyword('START')
            ? 'START'
            : null
      if (keyword === null) {
        return node
      }
      const bit = keyword === 'WITHIN' ? WITHIN_BIT : keyword === 'REPEATS' ? REPEATS_BIT : START_STOP_BIT
      if ((seen & bit) !== 0) {
        return this.fail(
          `duplicate ${keyword} qualifier`,
          start,
          'put the expression in parentheses to qualify it again',
        )
      }
      seen |= bit
      this.pos += keyword.length
      const qualifier =
        keyword === 'WITHIN'
          ? this.parseWithin()
          : keyword === 'REPEATS'
            ? this.parseRepeats()
            : this.parseStartStop(start)
      if (qualifier === null) {
        return null
      }
      node = { kind: 'qualified', expression: node, qualifier }
    }
  }

  private parseWithin(): Qualifier | null {
    this.skipSpace()
    const start = this.pos
    const c = this.src.charCodeAt(start)
    if (!isDigit(c) && c !== PLUS && c !== DOT && c !== MINUS) {
      return this.expected('a number of seconds after WITHIN', start)
    }
    const number = this.parseNumber()
    if (number === null) {
      return null
    }
    if (number.value <= 0) {
      return this.fail(
        `WITHIN needs a positive number of seconds, found '${this.src.slice(start, this.pos)}'`,
        start,
      )
    }
    this.skipSpace()
    if (!this.atKeyword('SECONDS')) {
      return this.expected("'SECONDS'", this.pos)
    }
    this.pos += 7
    return { kind: 'within', seconds: number.value }
  }

  private parseRepeats(): Qualifier | null {
    this.skipSpace()
    const start = this.pos
    const c = this.src.charCodeAt(start)
    if (!isDigit(c) && c !== PLUS && c !== DOT && c !== MINUS) {
      return this.expected('a number of times after REPEATS', start)
    }
    const number = this.parseNumber()
    if (number === null) {
      return null
    }
    if (number.kind !== 'integer' || number.value <= 0) {
      return this.fail(`REPEATS needs a positive integer, found '${this.src.slice(start, this.pos)}'`, start)
    }
    this.skipSpace()
    if (!this.atKeyword('TIMES')) {
      return this.expected("'TIMES'", this.pos)
    }
    this.pos += 5
    return { kind: 'repeats', times: number.value }
  }

  private parseStartStop(start: number): Qualifier | null {
    const from = this.parseTimestampOperand('START')
    if (from === null) {
      return null
    }
    this.skipSpace()
    if (!this.atKeyword('STOP')) {
      return this.expected("'STOP'", this.pos)
    }
    this.pos += 4
    const to = this.parseTimestampOperand('STOP')
    if (to === null) {
      return null
    }
    if (compareTimestamps(from, to) >= 0) {
      return this.fail(`START t'${from}' must be earlier than STOP t'${to}'`, start)
    }
    return { kind: 'start-stop', start: from, stop: to }
  }

  private parseTimestampOperand(keyword: string): string | null {
    this.skipSpace()
    const start = this.pos
    if (this.src.charCodeAt(start) !== LOWER_T || this.src.charCodeAt(start + 1) !== QUOTE) {
      return this.expected(`a timestamp (t'…') after ${keyword}`, start)
    }
    const constant = this.parsePrefixed()
    return constant === null ? null : String(constant.value)
  }

  // Comparison expressions: OR < AND < primary.

  private parseComparisonOr(): ComparisonExpression | null {
    const first = this.parseComparisonAnd()
    if (first === null) {
      return null
    }
    this.skipSpace()
    if (!this.atKeyword('OR')) {
      return first
    }
    let type = this.type
    let mixedWith = this.mixedWith
    const operands = [first]
    while (this.atKeyword('OR')) {
      this.pos += 2
      const next = this.parseComparisonAnd()
      if (next === null) {
        return null
      }
      operands.push(next)
      if (mixedWith === null) {
        if (this.mixedWith !== null) {
          type = this.type
          mixedWith = this.mixedWith
        } else if (this.type !== type) {
          mixedWith = this.type
        }
      }
      this.skipSpace()
    }
    this.type = type
    this.mixedWith = mixedWith
    return { kind: 'comparison-operation', operator: 'OR', operands }
  }

  private parseComparisonAnd(): ComparisonExpression | null {
    const first = this.parseComparisonPrimary()
    if (first === null) {
      return null
    }
    this.skipSpace()
    if (!this.atKeyword('AND')) {
      return first
    }
    const type = this.type
    if (this.mixedWith !== null) {
      return this.failMixedTypes(type, this.mixedWith, this.pos)
    }
    const operands = [first]
    while (this.atKeyword('AND')) {
      this.pos += 3
      this.skipSpace()
      const operandStart = this.pos
      const next = this.parseComparisonPrimary()
      if (next === null) {
        return null
      }
      if (this.mixedWith !== null) {
        return this.failMixedTypes(this.type, this.mixedWith, operandStart)
      }
      if (this.type !== type) {
        return this.failMixedTypes(type, this.type, operandStart)
      }
      operands.push(next)
      this.skipSpace()
    }
    return { kind: 'comparison-operation', operator: 'AND', operands }
  }

  private failMixedTypes(a: string, b: string, offset: number): null {
    return this.fail(
      `comparisons joined by AND must use the same object type, found '${a}' and '${b}'`,
      offset,
      'use OR, or separate observation expressions',
    )
  }

  private parseComparisonPrimary(): ComparisonExpression | null {
    this.skipSpace()
    const start = this.pos
    if (this.src.charCodeAt(start) === LPAREN) {
      if (!this.enter(start)) {
        return null
      }
      this.pos++
      const inner = this.parseComparisonOr()
      if (inner === null) {
        return null
      }
      this.skipSpace()
      if (this.src.charCodeAt(this.pos) !== RPAREN) {
        return this.expected("')'", this.pos)
      }
      this.pos++
      this.depth--
      return inner
    }
    if (this.atKeyword('EXISTS')) {
      this.pos += 6
      return this.parseExists(false)
    }
    if (this.atKeyword('NOT')) {
      this.pos += 3
      this.skipSpace()
      if (this.atKeyword('EXISTS')) {
        this.pos += 6
        return this.parseExists(true)
      }
      return this.fail(
        'NOT goes after the object path',
        start,
        "e.g. file:name NOT = 'x', or NOT EXISTS path",
      )
    }
    const path = this.parseObjectPath()
    if (path === null) {
      return null
    }
    this.type = path.objectType
    this.mixedWith = null
    return this.parseOperatorAndOperand(path)
  }

  private parseExists(negated: boolean): Comparison | null {
    this.skipSpace()
    const path = this.parseObjectPath()
    if (path === null) {
      return null
    }
    this.type = path.objectType
    this.mixedWith = null
    return { kind: 'comparison', operator: 'EXISTS', path, negated }
  }

  private parseObjectPath(): ObjectPath | null {
    const src = this.src
    const start = this.pos
    let end = start
    while (end < src.length && isNameChar(src.charCodeAt(end))) {
      end++
    }
    if (end === start) {
      return this.expected('a comparison expression', start)
    }
    const objectType = src.slice(start, end)
    this.pos = end
    this.skipSpace()
    if (src.charCodeAt(this.pos) !== COLON) {
      const hint = keywordHint(objectType)
      if (hint !== undefined) {
        return this.fail(`unexpected '${truncate(objectType)}'`, start, hint)
      }
      return this.expected(`':' after the object type '${truncate(objectType)}'`, this.pos)
    }
    if (!isValidObjectType(objectType)) {
      return this.fail(
        `invalid object type '${truncate(objectType)}'`,
        start,
        '3–250 characters of a-z, 0-9 and single hyphens, starting with a letter',
      )
    }
    this.pos++
    this.skipSpace()
    const steps: PathStep[] = []
    const first = this.parsePropertyName(true)
    if (first === null) {
      return null
    }
    steps.push({ kind: 'property', name: first })
    for (;;) {
      this.skipSpace()
      const c = src.charCodeAt(this.pos)
      if (c === DOT) {
        this.pos++
        this.skipSpace()
        const name = this.parsePropertyName(false)
        if (name === null) {
          return null
        }
        steps.push({ kind: 'property', name })
        continue
      }
      if (c === LBRACKET) {
        const index = this.parseIndex()
        if (index === null) {
          return null
        }
        steps.push({ kind: 'index', index })
        continue
      }
      return { objectType, steps }
    }
  }

  /** A quoted key, or `[A-Za-z_][A-Za-z0-9_]*` (lower-case only for the object's own property). */
  private parsePropertyName(first: boolean): string | null {
    const src = this.src
    const start = this.pos
    const c = src.charCodeAt(start)
    if (c === QUOTE) {
      const name = this.parseString()
      if (name === null) {
        return null
      }
      return name === '' ? this.fail('empty property name', start) : name
    }
    let end = start
    let upper = false
    while (end < src.length) {
      const d = src.charCodeAt(end)
      if (isUpper(d)) {
        upper = true
      } else if (!isLower(d) && !isDigit(d) && d !== UNDERSCORE) {
        break
      }
      end++
    }
    if (end === start) {
      return this.expected('a property name', start)
    }
    const name = src.slice(start, end)
    if (src.charCodeAt(end) === MINUS) {
      return this.fail(
        `property name '${truncate(this.wordAt(start))}' must be quoted`,
        start,
        `names with '-' are written .'${truncate(this.wordAt(start))}'`,
      )
    }
    if (isDigit(c)) {
      return this.fail(`property name '${truncate(name)}' must be quoted`, start, 'it starts with a digit')
    }
    if (first && upper) {
      return this.fail(
        `invalid property name '${truncate(name)}'`,
        start,
        "property names are lower-case a-z, 0-9 and '_'",
      )
    }
    this.pos = end
    return name
  }

  private parseIndex(): number | '*' | null {
    const src = this.src
    this.pos++
    this.skipSpace()
    let index: number | '*'
    const start = this.pos
    const c = src.charCodeAt(start)
    if (c === STAR) {
      this.pos++
      index = '*'
    } else if (isDigit(c) || c === MINUS || c === PLUS) {
      const number = this.parseNumber()
      if (number === null) {
        return null
      }
      if (number.kind !== 'integer') {
        return this.fail(`list index must be an integer or '*', found '${src.slice(start, this.pos)}'`, start)
      }
      index = number.value
    } else {
      return this.expected("a list index (a number or '*')", start)
    }
    this.skipSpace()
    if (src.charCodeAt(this.pos) !== RBRACKET) {
      return this.expected("']' to close the list index", this.pos)
    }
    this.pos++
    return index
  }

  private parseOperatorAndOperand(path: ObjectPath): Comparison | null {
    const src = this.src
    this.skipSpace()
    let negated = false
    if (this.atKeyword('NOT')) {
      negated = true
      this.pos += 3
      this.skipSpace()
    }
    const start = this.pos
    const c = src.charCodeAt(start)
    const next = src.charCodeAt(start + 1)
    if (c === EQUALS) {
      this.pos += next === EQUALS ? 2 : 1
      return this.parseEquality(path, negated, '=')
    }
    if (c === BANG && next === EQUALS) {
      this.pos += 2
      return this.parseEquality(path, negated, '!=')
    }
    if (c === LESS && next === GREATER) {
      this.pos += 2
      return this.parseEquality(path, negated, '!=')
    }
    if (c === LESS || c === GREATER) {
      const operator = c === LESS ? (next === EQUALS ? '<=' : '<') : next === EQUALS ? '>=' : '>'
      this.pos += operator.length
      const valueStart = this.skipToValue()
      const value = this.parseConstant()
      if (value === null) {
        return null
      }
      if (value.kind === 'boolean') {
        return this.fail(`operator '${operator}' cannot order booleans`, valueStart)
      }
      return { kind: 'comparison', operator, path, negated, value }
    }
    const word = this.wordAt(start)
    switch (word) {
      case 'IN':
        this.pos += 2
        return this.parseSet(path, negated)
      case 'LIKE':
      case 'MATCHES':
      case 'ISSUBSET':
      case 'ISSUPERSET':
        this.pos += word.length
        return this.parseStringOperand(path, negated, word, start)
      default:
        break
    }
    if (word === 'NOT') {
      return this.fail('NOT may appear only once in a comparison', start)
    }
    if (word === 'EXISTS') {
      return this.fail('EXISTS goes before the object path', start, 'e.g. EXISTS file:name')
    }
    if (word !== '') {
      return this.fail(`unknown comparison operator '${truncate(word)}'`, start, keywordHint(word))
    }
    if (start >= src.length || c === RBRACKET || c === RPAREN || c === QUOTE) {
      return this.expected('a comparison operator', start)
    }
    return this.fail(
      `unknown comparison operator '${String.fromCodePoint(src.codePointAt(start) ?? 0)}'`,
      start,
    )
  }

  private skipToValue(): number {
    this.skipSpace()
    return this.pos
  }

  private parseEquality(path: ObjectPath, negated: boolean, operator: '=' | '!='): Comparison | null {
    const value = this.parseConstant()
    if (value === null) {
      return null
    }
    return { kind: 'comparison', operator, path, negated, value }
  }

  private parseSet(path: ObjectPath, negated: boolean): Comparison | null {
    const src = this.src
    const start = this.skipToValue()
    if (src.charCodeAt(start) !== LPAREN) {
      return this.fail('IN needs a parenthesised list of constants', start, "e.g. IN ('a', 'b')")
    }
    this.pos++
    this.skipSpace()
    const values: PatternConstant[] = []
    if (src.charCodeAt(this.pos) === RPAREN) {
      this.pos++
      return { kind: 'comparison', operator: 'IN', path, negated, values }
    }
    for (;;) {
      const value = this.parseConstant()
      if (value === null) {
        return null
      }
      values.push(value)
      this.skipSpace()
      const c = src.charCodeAt(this.pos)
      if (c === RPAREN) {
        this.pos++
        return { kind: 'comparison', operator: 'IN', path, negated, values }
      }
      if (c !== COMMA) {
        return this.expected("',' or ')' in the IN list", this.pos)
      }
      this.pos++
    }
  }

  private parseStringOperand(
    path: ObjectPath,
    negated: boolean,
    operator: StringComparison['operator'],
    operatorStart: number,
  ): Comparison | null {
    if ((operator === 'ISSUBSET' || operator === 'ISSUPERSET') && !namesIpValue(path)) {
      return this.fail(
        `${operator} compares IP addresses, not '${truncate(`${path.objectType}:${objectPathText(path)}`)}'`,
        operatorStart,
        'use ipv4-addr:value, ipv6-addr:value or a reference to one, e.g. network-traffic:dst_ref.value',
      )
    }
    const start = this.skipToValue()
    const value = this.parseConstant()
    if (value === null) {
      return null
    }
    if (value.kind !== 'string') {
      return this.fail(`${operator} needs a string constant, found a ${value.kind}`, start)
    }
    if ((operator === 'ISSUBSET' || operator === 'ISSUPERSET') && !isIpOrCidr(value.value)) {
      return this.fail(
        `${operator} needs an IP address or CIDR range, found '${truncate(value.value)}'`,
        start,
      )
    }
    return { kind: 'comparison', operator, path, negated, value }
  }

  private parseConstant(): PatternConstant | null {
    const src = this.src
    this.skipSpace()
    const start = this.pos
    const c = src.charCodeAt(start)
    if (c === QUOTE) {
      const value = this.parseString()
      return value === null ? null : { kind: 'string', value }
    }
    if ((c === LOWER_T || c === LOWER_H || c === LOWER_B) && src.charCodeAt(start + 1) === QUOTE) {
      return this.parsePrefixed()
    }
    if (isDigit(c) || c === PLUS || c === MINUS || c === DOT) {
      return this.parseNumber()
    }
    const word = this.wordAt(start)
    if (word === 'true' || word === 'false') {
      this.pos += word.length
      return { kind: 'boolean', value: word === 'true' }
    }
    if (word === '') {
      return this.expected('a constant', start)
    }
    const lower = word.toLowerCase()
    const hint =
      lower === 'true' || lower === 'false'
        ? `booleans are lower-case: ${lower}`
        : 'strings are in single quotes'
    return this.fail(`expected a constant but found '${truncate(word)}'`, start, hint)
  }

  /** A `'…'` string at the current position; only `\'` and `\\` are escapes. */
  private parseString(): string | null {
    const src = this.src
    const start = this.pos
    let i = start + 1
    let chunk = i
    let out = ''
    for (;;) {
      if (i >= src.length) {
        return this.fail('unterminated string', start, "missing closing '")
      }
      const c = src.charCodeAt(i)
      if (c === QUOTE) {
        this.pos = i + 1
        return chunk === start + 1 ? src.slice(chunk, i) : out + src.slice(chunk, i)
      }
      if (c === BACKSLASH) {
        const escaped = src.charCodeAt(i + 1)
        if (escaped !== QUOTE && escaped !== BACKSLASH) {
          if (i + 1 >= src.length) {
            return this.fail('unterminated string', start, "missing closing '")
          }
          const shown = String.fromCodePoint(src.codePointAt(i + 1) ?? 0)
          return this.fail(`invalid escape '\\${shown}' in string`, i, "only \\' and \\\\ are escapes")
        }
        out += src.slice(chunk, i) + (escaped === QUOTE ? "'" : '\\')
        i += 2
        chunk = i
        continue
      }
      i++
    }
  }

  /** `t'…'`, `h'…'` or `b'…'` at the current position. */
  private parsePrefixed(): PatternConstant | null {
    const src = this.src
    const start = this.pos
    const prefix = src.charCodeAt(start)
    const close = src.indexOf("'", start + 2)
    const label = prefix === LOWER_T ? 'timestamp' : prefix === LOWER_H ? 'hex constant' : 'base64 constant'
    if (close === -1) {
      return this.fail(`unterminated ${label}`, start, "missing closing '")
    }
    const text = src.slice(start + 2, close)
    const shown = `${src[start] ?? ''}'${truncate(text)}'`
    if (prefix === LOWER_T) {
      if (!isValidTimestamp(text)) {
        return this.fail(
          `invalid timestamp ${shown}`,
          start,
          'RFC 3339 in UTC: YYYY-MM-DDTHH:mm:ss[.s+]Z, a real date and time',
        )
      }
      this.pos = close + 1
      return { kind: 'timestamp', value: text }
    }
    if (prefix === LOWER_H) {
      for (let i = 0; i < text.length; i++) {
        if (!isHexDigit(text.charCodeAt(i))) {
          return this.fail(`invalid hex constant ${shown}`, start, 'expected pairs of hex digits')
        }
      }
      if (text.length % 2 !== 0) {
        return this.fail(`invalid hex constant ${shown}`, start, 'expected pairs of hex digits')
      }
      this.pos = close + 1
      return { kind: 'hex', value: text }
    }
    for (let i = 0; i < text.length; i++) {
      if (!isBase64Char(text.charCodeAt(i))) {
        return this.fail(`invalid base64 constant ${shown}`, start)
      }
    }
    if (!isValidBase64(text)) {
      return this.fail(`invalid base64 constant ${shown}`, start, 'expected groups of 4, padded with =')
    }
    this.pos = close + 1
    return { kind: 'binary', value: text }
  }

  /** `[+-]?(0|[1-9][0-9]*)` or `[+-]?[0-9]*\.[0-9]+`. */
  private parseNumber(): NumberConstant | null {
    const src = this.src
    const start = this.pos
    let i = start
    const sign = src.charCodeAt(i)
    if (sign === PLUS || sign === MINUS) {
      i++
    }
    const digitsStart = i
    while (isDigit(src.charCodeAt(i))) {
      i++
    }
    const intDigits = i - digitsStart
    let float = false
    if (src.charCodeAt(i) === DOT) {
      i++
      const fractionStart = i
      while (isDigit(src.charCodeAt(i))) {
        i++
      }
      float = i > fractionStart
      if (!float) {
        return this.fail(
          `invalid number '${truncate(src.slice(start, i))}'`,
          start,
          'digits must follow the dot',
        )
      }
    } else if (intDigits === 0) {
      return this.fail(`invalid number '${truncate(this.runAt(start))}'`, start)
    }
    if (isNameChar(src.charCodeAt(i)) || src.charCodeAt(i) === DOT) {
      return this.fail(`invalid number '${truncate(this.runAt(start))}'`, start)
    }
    const text = src.slice(start, i)
    if (!float && intDigits > 1 && src.charCodeAt(digitsStart) === ZERO) {
      return this.fail(`invalid number '${truncate(text)}'`, start, 'integers have no leading zeros')
    }
    const parsed = Number(text)
    // -0 and 0 are one constant.
    const value = parsed === 0 ? 0 : parsed
    if (float) {
      if (!Number.isFinite(value)) {
        return this.fail(`number out of range '${truncate(text)}'`, start)
      }
      this.pos = i
      return { kind: 'float', value }
    }
    if (!Number.isSafeInteger(value)) {
      return this.fail(`integer out of range '${truncate(text)}'`, start, 'at most 2^53 - 1 in magnitude')
    }
    this.pos = i
    return { kind: 'integer', value }
  }

  private runAt(offset: number): string {
    let end = offset
    while (end < this.src.length) {
      const c = this.src.charCodeAt(end)
      if (!isNameChar(c) && c !== DOT && c !== PLUS) {
        break
      }
      end++
    }
    return this.src.slice(offset, Math.max(end, offset + 1))
  }
}

/**
 * Parses and validates a STIX 2.1 pattern. Never throws: an invalid pattern (or a non-string) gives
 * `{ ok: false, error }` with a readable message and the offset of the problem.
 *
 * Beyond the grammar it checks the spec's rules: object types (`[a-z0-9-]`, 3–250 characters),
 * lower-case property names (quote anything else), one object type across comparisons joined by AND
 * inside one `[ … ]`, positive WITHIN / REPEATS numbers, START before STOP, at most one qualifier of
 * each kind per expression, real timestamps, hex and base64, operand types per operator
 * (IN a list, LIKE / MATCHES a string, ISSUBSET / ISSUPERSET an IP address or CIDR range), and that
 * ISSUBSET / ISSUPERSET compare an IP address path (`ipv4-addr:value`, `network-traffic:dst_ref.value`).
 *
 * @example
 * const result = parsePattern("[file:hashes.'SHA-256' = 'ef53…' AND file:size > 1000]")
 * if (!result.ok) {
 *   console.log(result.error.message) // e.g. "expected ']' at offset 37"
 * }
 */
export function parsePattern(pattern: string): PatternResult {
  if (typeof pattern !== 'string') {
    return { ok: false, error: { message: 'pattern is not a string at offset 0', offset: 0 } }
  }
  const parser = new Parser(pattern)
  const ast = parser.parse()
  if (ast === null || parser.error !== null) {
    return { ok: false, error: parser.error ?? { message: 'invalid pattern at offset 0', offset: 0 } }
  }
  return { ok: true, ast }
}

/** The dotted text of a path after the object type, quotes removed: `hashes.SHA-256`, `refs[*].value`. */
export function objectPathText(path: ObjectPath): string {
  let out = ''
  for (const step of path.steps) {
    if (step.kind === 'index') {
      out += `[${step.index}]`
      continue
    }
    out += out === '' ? step.name : `.${step.name}`
  }
  return out
}

function collectEqualities(expression: ComparisonExpression, out: PatternEquality[]): void {
  if (expression.kind === 'comparison-operation') {
    for (const operand of expression.operands) {
      collectEqualities(operand, out)
    }
    return
  }
  if (expression.operator === '=') {
    const { objectType } = expression.path
    out.push({
      objectType,
      path: objectPathText(expression.path),
      value: expression.value.value,
      negated: expression.negated,
    })
    return
  }
  if (expression.operator !== 'IN') {
    return
  }
  const { objectType } = expression.path
  const path = objectPathText(expression.path)
  for (const value of expression.values) {
    out.push({ objectType, path, value: value.value, negated: expression.negated })
  }
}

function collectObservationEqualities(expression: ObservationExpression, out: PatternEquality[]): void {
  switch (expression.kind) {
    case 'observation':
      collectEqualities(expression.comparison, out)
      return
    case 'observation-operation':
      for (const operand of expression.operands) {
        collectObservationEqualities(operand, out)
      }
      return
    case 'qualified':
      collectObservationEqualities(expression.expression, out)
      return
  }
}

/**
 * Every `=` comparison of a pattern, and every element of each `IN (…)` list, in source order, with
 * its object type and dotted path; Liaison indexes these values to correlate indicators with observables.
 *
 * @example
 * const result = parsePattern("[file:hashes.'SHA-256' = 'ab12…']")
 * if (result.ok) {
 *   equalityComparisons(result.ast)
 *   // [{ objectType: 'file', path: 'hashes.SHA-256', value: 'ab12…', negated: false }]
 * }
 */
export function equalityComparisons(ast: Pattern): PatternEquality[] {
  const out: PatternEquality[] = []
  collectObservationEqualities(ast.expression, out)
  return out
}

const OBSERVATION_PRECEDENCE = { FOLLOWEDBY: 0, OR: 1, AND: 2 } as const
const COMPARISON_PRECEDENCE = { OR: 0, AND: 1 } as const
const FIRST_NAME = /^[a-z_][a-z0-9_]*$/
const LATER_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function quote(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`
}

/** A float in plain decimal notation with a dot, as the grammar wants (`7.0`, `0.0000001`). */
function formatFloat(value: number): string {
  const text = String(value)
  if (!text.includes('e')) {
    return text.includes('.') ? text : `${text}.0`
  }
  const negative = value < 0
  const [mantissa = '', exponentText = '0'] = (negative ? text.slice(1) : text).split('e')
  const point = mantissa.indexOf('.')
  const digits = mantissa.replace('.', '')
  const intLength = (point === -1 ? mantissa.length : point) + Number(exponentText)
  let out: string
  if (intLength <= 0) {
    out = `0.${'0'.repeat(-intLength)}${digits}`
  } else if (intLength >= digits.length) {
    out = `${digits}${'0'.repeat(intLength - digits.length)}.0`
  } else {
    out = `${digits.slice(0, intLength)}.${digits.slice(intLength)}`
  }
  return negative ? `-${out}` : out
}

function formatConstant(constant: PatternConstant): string {
  switch (constant.kind) {
    case 'string':
      return quote(constant.value)
    case 'integer':
      return String(constant.value)
    case 'float':
      return formatFloat(constant.value)
    case 'boolean':
      return constant.value ? 'true' : 'false'
    case 'timestamp':
      return `t'${constant.value}'`
    case 'hex':
      return `h'${constant.value}'`
    case 'binary':
      return `b'${constant.value}'`
  }
}

function formatPath(path: ObjectPath): string {
  let out = `${path.objectType}:`
  let first = true
  for (const step of path.steps) {
    if (step.kind === 'index') {
      out += `[${step.index}]`
    } else {
      const plain = first ? FIRST_NAME.test(step.name) : LATER_NAME.test(step.name)
      out += `${first ? '' : '.'}${plain ? step.name : quote(step.name)}`
    }
    first = false
  }
  return out
}

function formatComparison(comparison: Comparison): string {
  const path = formatPath(comparison.path)
  const not = comparison.negated ? 'NOT ' : ''
  if (comparison.operator === 'EXISTS') {
    return `${not}EXISTS ${path}`
  }
  if (comparison.operator === 'IN') {
    return `${path} ${not}IN (${comparison.values.map(formatConstant).join(', ')})`
  }
  return `${path} ${not}${comparison.operator} ${formatConstant(comparison.value)}`
}

function formatComparisonExpression(expression: ComparisonExpression): string {
  if (expression.kind === 'comparison') {
    return formatComparison(expression)
  }
  const parent = COMPARISON_PRECEDENCE[expression.operator]
  return expression.operands
    .map((operand) => {
      const text = formatComparisonExpression(operand)
      const wrap =
        operand.kind === 'comparison-operation' && COMPARISON_PRECEDENCE[operand.operator] <= parent
      return wrap ? `(${text})` : text
    })
    .join(` ${expression.operator} `)
}

function formatQualifier(qualifier: Qualifier): string {
  switch (qualifier.kind) {
    case 'within':
      return `WITHIN ${Number.isInteger(qualifier.seconds) ? String(qualifier.seconds) : formatFloat(qualifier.seconds)} SECONDS`
    case 'repeats':
      return `REPEATS ${qualifier.times} TIMES`
    case 'start-stop':
      return `START t'${qualifier.start}' STOP t'${qualifier.stop}'`
  }
}

function formatQualified(expression: QualifiedObservation): string {
  // Qualifiers of one kind may repeat only on a parenthesised expression.
  const qualifiers: Qualifier[] = []
  const seen = new Set<Qualifier['kind']>()
  let base: ObservationExpression = expression
  while (base.kind === 'qualified' && !seen.has(base.qualifier.kind)) {
    seen.add(base.qualifier.kind)
    qualifiers.unshift(base.qualifier)
    base = base.expression
  }
  const text = formatObservation(base)
  const head = base.kind === 'observation' ? text : `(${text})`
  return `${head} ${qualifiers.map(formatQualifier).join(' ')}`
}

function formatObservation(expression: ObservationExpression): string {
  switch (expression.kind) {
    case 'observation':
      return `[${formatComparisonExpression(expression.comparison)}]`
    case 'qualified':
      return formatQualified(expression)
    case 'observation-operation': {
      const parent = OBSERVATION_PRECEDENCE[expression.operator]
      return expression.operands
        .map((operand) => {
          const text = formatObservation(operand)
          const wrap =
            operand.kind === 'observation-operation' && OBSERVATION_PRECEDENCE[operand.operator] <= parent
          return wrap ? `(${text})` : text
        })
        .join(` ${expression.operator} `)
    }
  }
}

/**
 * The canonical text of a pattern: single spaces, upper-case keywords, parentheses only where
 * needed, quotes only where needed. For a tree from {@link parsePattern}, parsing the text gives an
 * equal tree back.
 *
 * @example
 * const result = parsePattern("[ file:hashes.'MD5'='ab'  AND file:size>+10 ]")
 * if (result.ok) {
 *   formatPattern(result.ast) // "[file:hashes.MD5 = 'ab' AND file:size > 10]"
 * }
 */
export function formatPattern(ast: Pattern): string {
  return formatObservation(ast.expression)
}
