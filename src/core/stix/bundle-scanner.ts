/**
 * Reads a STIX bundle piece by piece: feed it text as it arrives and it hands back the text of each
 * element of the bundle's `objects` array as soon as that element is complete, so a bundle of a
 * million objects never has to be held whole. The bundle's other members (`type`, `id`,
 * `spec_version`, …) are kept in {@link BundleScanner.header}. Only the shape that matters is
 * checked here; each element is parsed and validated by the caller.
 *
 * @example
 * const scanner = new BundleScanner()
 * for await (const chunk of stream) for (const text of scanner.push(chunk)) handle(JSON.parse(text))
 * scanner.finish()
 */
/** The content is JSON but not a STIX bundle (a list, a single object, a MISP event): read it whole. */
export class NotABundleError extends Error {}

/** Members a STIX bundle may have at its top level (plus custom `x_` ones). */
const BUNDLE_MEMBERS = new Set(['type', 'id', 'spec_version', 'objects'])

export class BundleScanner {
  /** The bundle's members other than `objects`, parsed. */
  readonly header: Record<string, unknown> = {}
  /** Elements handed out so far. */
  count = 0
  private buf = ''
  private pos = 0
  /** Characters dropped from the front of `buf` (for error offsets). */
  private dropped = 0
  private state: 'start' | 'key-or-end' | 'key' | 'colon' | 'value' | 'after-value' | 'elements' | 'done' =
    'start'
  private key = ''
  private sawObjects = false
  private elementsStarted = false

  /** Adds text; returns the complete `objects` elements found so far, as JSON text. */
  push(chunk: string): string[] {
    this.buf = this.pos === this.buf.length ? chunk : this.buf.slice(this.pos) + chunk
    this.dropped += this.pos
    this.pos = 0
    const out: string[] = []
    this.scan(out)
    return out
  }

  /** Checks that the text ended where a bundle ends; throws otherwise. */
  finish(): void {
    this.skipSpace()
    if (this.state !== 'done') {
      throw this.error('the content ends before the bundle does')
    }
    if (this.pos < this.buf.length) {
      throw this.error('unexpected text after the bundle')
    }
    if (!this.sawObjects) {
      throw this.error('the bundle has no "objects" array')
    }
  }

  private error(message: string): SyntaxError {
    return new SyntaxError(`${message} (at character ${this.dropped + this.pos})`)
  }

  private skipSpace(): void {
    const buf = this.buf
    let pos = this.pos
    while (pos < buf.length) {
      const c = buf.charCodeAt(pos)
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        break
      }
      pos++
    }
    this.pos = pos
  }

  private scan(out: string[]): void {
    for (;;) {
      this.skipSpace()
      if (this.pos >= this.buf.length) {
        return
      }
      const c = this.buf[this.pos]
      switch (this.state) {
        case 'start':
          if (c === '[') {
            throw new NotABundleError('a list, not a bundle')
          }
          if (c !== '{') {
            throw this.error('not a JSON object')
          }
          this.pos++
          this.state = 'key-or-end'
          break
        case 'key-or-end':
        case 'key': {
          if (c === '}' && this.state === 'key-or-end') {
            this.pos++
            this.state = 'done'
            break
          }
          if (c !== '"') {
            throw this.error('expected a member name')
          }
          const end = this.valueEnd(this.pos)
          if (end < 0) {
            return
          }
          this.key = JSON.parse(this.buf.slice(this.pos, end)) as string
          if (!BUNDLE_MEMBERS.has(this.key) && !this.key.startsWith('x_')) {
            throw new NotABundleError(`has a member "${this.key}" that no bundle has`)
          }
          this.pos = end
          this.state = 'colon'
          break
        }
        case 'colon':
          if (c !== ':') {
            throw this.error('expected ":"')
          }
          this.pos++
          this.state = 'value'
          break
        case 'value': {
          if (this.key === 'objects' && c === '[') {
            if (this.sawObjects) {
              throw this.error('"objects" appears twice')
            }
            this.sawObjects = true
            this.pos++
            this.elementsStarted = false
            this.state = 'elements'
            break
          }
          const end = this.valueEnd(this.pos)
          if (end < 0) {
            return
          }
          this.header[this.key] = JSON.parse(this.buf.slice(this.pos, end)) as unknown
          this.pos = end
          this.state = 'after-value'
          break
        }
        case 'after-value':
          if (c === ',') {
            this.pos++
            this.state = 'key'
          } else if (c === '}') {
            this.pos++
            this.state = 'done'
          } else {
            throw this.error('expected "," or "}"')
          }
          break
        case 'elements': {
          if (c === ']') {
            this.pos++
            this.state = 'after-value'
            break
          }
          if (this.elementsStarted) {
            if (c !== ',') {
              throw this.error('expected "," or "]" between objects')
            }
            // Consume the comma only once the element after it is complete (it may span chunks).
            const start = this.firstNonSpace(this.pos + 1)
            if (start < 0) {
              return
            }
            const end = this.valueEnd(start)
            if (end < 0) {
              return
            }
            out.push(this.buf.slice(start, end))
            this.count++
            this.pos = end
            break
          }
          const end = this.valueEnd(this.pos)
          if (end < 0) {
            return
          }
          out.push(this.buf.slice(this.pos, end))
          this.count++
          this.elementsStarted = true
          this.pos = end
          break
        }
        case 'done':
          throw this.error('unexpected text after the bundle')
      }
    }
  }

  private firstNonSpace(from: number): number {
    const buf = this.buf
    for (let pos = from; pos < buf.length; pos++) {
      const c = buf.charCodeAt(pos)
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        return pos
      }
    }
    return -1
  }

  /**
   * Where the JSON value starting at `start` ends (exclusive), or -1 when it is not complete yet.
   * Strings are skipped with their escapes; objects and arrays by depth.
   */
  private valueEnd(start: number): number {
    const buf = this.buf
    const first = buf.charCodeAt(start)
    if (first === 0x22) {
      return this.stringEnd(start)
    }
    if (first !== 0x7b && first !== 0x5b) {
      // A number, true, false or null: up to the next delimiter.
      for (let pos = start; pos < buf.length; pos++) {
        const c = buf.charCodeAt(pos)
        if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          return pos
        }
      }
      return -1
    }
    let depth = 0
    let pos = start
    while (pos < buf.length) {
      const c = buf.charCodeAt(pos)
      if (c === 0x22) {
        const end = this.stringEnd(pos)
        if (end < 0) {
          return -1
        }
        pos = end
        continue
      }
      if (c === 0x7b || c === 0x5b) {
        depth++
      } else if (c === 0x7d || c === 0x5d) {
        depth--
        if (depth === 0) {
          return pos + 1
        }
      }
      pos++
    }
    return -1
  }

  private stringEnd(start: number): number {
    const buf = this.buf
    let pos = start + 1
    for (;;) {
      const quote = buf.indexOf('"', pos)
      if (quote < 0) {
        return -1
      }
      // Escaped when preceded by an odd number of backslashes.
      let backslashes = 0
      for (let i = quote - 1; i > start && buf.charCodeAt(i) === 0x5c; i--) {
        backslashes++
      }
      if (backslashes % 2 === 0) {
        return quote + 1
      }
      pos = quote + 1
    }
  }
}
