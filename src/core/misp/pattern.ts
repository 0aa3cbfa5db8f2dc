// Just enough STIX patterning for MISP: writing `path = 'value'` comparisons, and reading back the
// comparisons of simple patterns (one observation, AND-ed equalities) such as the ones this module writes.

const BACKSLASH_RE = /\\/g
const QUOTE_RE = /'/g
const PLAIN_KEY_RE = /^[A-Za-z0-9_]+$/
const NUMBER_RE = /^-?\d+(\.\d+)?$/
const OBJECT_PATH_RE = /^[a-z0-9-]+:[A-Za-z_]/
const PATH_QUOTES_RE = /'/g
const LIST_INDEX_RE = /\[(\d+|\*)\]/g
const WHITESPACE = new Set([' ', '\t', '\n', '\r'])
const WORD_STOPS = new Set([' ', '\t', '\n', '\r', ']', '(', ')', '=', '!', '<', '>', ','])

/** A string constant of a STIX pattern: quoted, with `\` and `'` escaped. */
export function quotePatternString(value: string): string {
  return `'${value.replace(BACKSLASH_RE, '\\\\').replace(QUOTE_RE, "\\'")}'`
}

/** `path = 'value'` for a string property. */
export function stringComparison(path: string, value: string): string {
  return `${path} = ${quotePatternString(value)}`
}

/** `path = n` for an integer property (unquoted: a quoted number never equals an integer property). */
export function integerComparison(path: string, value: number): string {
  return `${path} = ${value}`
}

/** Path step for a dictionary key: `.MD5`, or `.'SHA-256'` when the key needs quoting. */
export function keyStep(key: string): string {
  return PLAIN_KEY_RE.test(key) ? `.${key}` : `.'${key}'`
}

/** One `path op value` comparison read from a pattern. */
export interface PatternComparison {
  /** The object path without quotes around keys and with list indexes as `[*]`: `file:hashes.SHA-256`. */
  path: string
  /** The path as written. */
  rawPath: string
  operator: string
  value: string | number | boolean
}

/** What {@link readPattern} understood of a pattern. */
export interface ReadPattern {
  comparisons: PatternComparison[]
  /** True when the pattern is one observation of AND-ed `=` comparisons, without qualifiers. */
  simple: boolean
}

interface Token {
  kind: 'punct' | 'string' | 'word' | 'op'
  text: string
}

/**
 * Reads the comparisons of a STIX pattern, or null when it cannot be tokenised. Not a validator: it
 * only extracts what a MISP attribute can hold.
 *
 * @example
 * readPattern("[file:name = 'a.exe' AND file:hashes.'SHA-256' = '…']")
 * // { simple: true, comparisons: [{ path: 'file:name', … }, { path: 'file:hashes.SHA-256', … }] }
 */
export function readPattern(pattern: string): ReadPattern | null {
  const tokens = tokenize(pattern)
  if (tokens === null) {
    return null
  }
  const comparisons: PatternComparison[] = []
  let observations = 0
  let simple = true
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]
    if (token === undefined) {
      break
    }
    if (token.kind === 'punct' && token.text === '[') {
      observations++
      continue
    }
    if (token.kind === 'word') {
      const upper = token.text.toUpperCase()
      if (
        upper === 'OR' ||
        upper === 'NOT' ||
        upper === 'FOLLOWEDBY' ||
        upper === 'WITHIN' ||
        upper === 'REPEATS'
      ) {
        simple = false
        continue
      }
      if (
        upper === 'START' ||
        upper === 'STOP' ||
        upper === 'IN' ||
        upper === 'LIKE' ||
        upper === 'MATCHES'
      ) {
        simple = false
        continue
      }
      if (upper === 'ISSUBSET' || upper === 'ISSUPERSET' || upper === 'EXISTS') {
        simple = false
        continue
      }
      if (!OBJECT_PATH_RE.test(token.text)) {
        continue
      }
      const operator = tokens[index + 1]
      const constant = tokens[index + 2]
      if (operator === undefined || constant === undefined || operator.kind !== 'op') {
        continue
      }
      if (operator.text !== '=') {
        simple = false
      }
      const value = constantValue(constant)
      if (value === null) {
        simple = false
        continue
      }
      comparisons.push({
        path: normalisePath(token.text),
        rawPath: token.text,
        operator: operator.text,
        value,
      })
      index += 2
    }
  }
  if (observations !== 1) {
    simple = false
  }
  return { comparisons, simple }
}

function normalisePath(path: string): string {
  return path.replace(PATH_QUOTES_RE, '').replace(LIST_INDEX_RE, '[*]')
}

function constantValue(token: Token): string | number | boolean | null {
  if (token.kind === 'string') {
    return token.text
  }
  if (token.kind !== 'word') {
    return null
  }
  if (NUMBER_RE.test(token.text)) {
    return Number(token.text)
  }
  if (token.text === 'true') {
    return true
  }
  if (token.text === 'false') {
    return false
  }
  return null
}

function tokenize(pattern: string): Token[] | null {
  const tokens: Token[] = []
  let index = 0
  const length = pattern.length
  while (index < length) {
    const char = pattern.charAt(index)
    if (WHITESPACE.has(char)) {
      index++
      continue
    }
    if (char === '[' || char === ']' || char === '(' || char === ')' || char === ',') {
      tokens.push({ kind: 'punct', text: char })
      index++
      continue
    }
    if (char === "'") {
      const read = readQuoted(pattern, index)
      if (read === null) {
        return null
      }
      tokens.push({ kind: 'string', text: read.text })
      index = read.end
      continue
    }
    if (char === '=' || char === '!' || char === '<' || char === '>') {
      const next = pattern.charAt(index + 1)
      const op = next === '=' ? char + next : char
      tokens.push({ kind: 'op', text: op === '!' ? '!=' : op })
      index += op.length
      continue
    }
    let word = ''
    while (index < length) {
      const current = pattern.charAt(index)
      if (current === "'") {
        // A quoted key inside a path (`hashes.'SHA-256'`) or a typed constant (t'…', h'…', b'…').
        if (word.endsWith('.') || word === 't' || word === 'h' || word === 'b') {
          const read = readQuoted(pattern, index)
          if (read === null) {
            return null
          }
          word += pattern.slice(index, read.end)
          index = read.end
          continue
        }
        break
      }
      if (current === '[' && word.includes(':')) {
        const close = pattern.indexOf(']', index)
        if (close < 0) {
          return null
        }
        word += pattern.slice(index, close + 1)
        index = close + 1
        continue
      }
      if (current === '[' || WORD_STOPS.has(current)) {
        break
      }
      word += current
      index++
    }
    if (word === '') {
      return null
    }
    tokens.push({ kind: 'word', text: word })
  }
  return tokens
}

function readQuoted(pattern: string, start: number): { text: string; end: number } | null {
  let text = ''
  let index = start + 1
  while (index < pattern.length) {
    const char = pattern.charAt(index)
    if (char === '\\') {
      text += pattern.charAt(index + 1)
      index += 2
      continue
    }
    if (char === "'") {
      return { text, end: index + 1 }
    }
    text += char
    index++
  }
  return null
}
