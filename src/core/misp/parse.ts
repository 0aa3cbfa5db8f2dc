import {
  HASH_HEX_LENGTH,
  isCompositeType,
  isKnownAttributeType,
  isKnownCategory,
  isTypeAllowedInCategory,
} from './attribute-types.js'
import {
  mispProblem,
  type JsonValue,
  type MispAttribute,
  type MispEvent,
  type MispEventReport,
  type MispGalaxy,
  type MispGalaxyCluster,
  type MispObject,
  type MispObjectReference,
  type MispOrg,
  type MispProblem,
  type MispSighting,
  type MispTag,
} from './misp.js'
import { createHash } from 'node:crypto'
import { packMalwareSample } from './encrypted-zip.js'
import { isRfc4122Uuid, isUuid, uuidV5 } from './uuid.js'

/** What {@link parseMispContent} found: the events it could read and everything wrong with them. */
export interface ParsedMispContent {
  events: MispEvent[]
  problems: MispProblem[]
}

type Raw = Record<string, unknown>

const UNIX_SECONDS_RE = /^\d{1,12}$/
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/
const HEX_RE = /^[0-9a-f]+$/i
const PORT_RE = /^\d{1,5}$/
const AS_RE = /^(AS)?\d+$/i
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/\d{1,2})?$/
const IPV6_RE = /^[0-9a-f:.]*:[0-9a-f:.]*(%[\w.-]+)?(\/\d{1,3})?$/i
const SSDEEP_RE = /^\d+:[A-Za-z0-9/+]+:[A-Za-z0-9/+]+/
const ISO_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * Reads MISP content in any of its usual envelopes: a bare event, `{ "Event": … }`,
 * `{ "response": [ { "Event": … }, … ] }`, or an array of those. Scalars may be strings or numbers;
 * the result holds strings as MISP emits them. Every problem names the element (path and uuid) and the
 * field; elements with problems are kept so the caller decides what to refuse.
 *
 * @example
 * const { events, problems } = parseMispContent(JSON.parse(text))
 * // problems: [{ severity: 'error', path: 'Event[0].Attribute[3]', uuid: '…', field: 'value', … }]
 */
export function parseMispContent(json: unknown): ParsedMispContent {
  return drain(parseMispContentSteps(json))
}

/** Attributes and objects read between two steps of {@link parseMispContentSteps}. */
export const PARSE_STEP = 20_000

/**
 * {@link parseMispContent} in steps: yields the number of attributes and objects read so far every
 * {@link PARSE_STEP} of them, and returns the same result. A caller that lets the event loop turn
 * at each step keeps a server answering while it reads a mega-event (300,000 attributes: ~0.8 s).
 */
export function* parseMispContentSteps(json: unknown): Generator<number, ParsedMispContent> {
  const events: MispEvent[] = []
  const problems: MispProblem[] = []
  yield* collectEvents(json, '$', events, problems, { read: 0 })
  return { events, problems }
}

/** Runs steps to their end. */
function drain<T>(steps: Generator<number, T>): T {
  for (;;) {
    const step = steps.next()
    if (step.done === true) {
      return step.value
    }
  }
}

/** Attributes and objects read so far, shared by the steps of one content. */
interface ReadCount {
  read: number
}

/** Reads one event object (without the `Event` wrapper); `path` prefixes the problems' paths. */
export function parseMispEvent(
  raw: unknown,
  path = 'Event',
): { event: MispEvent | null; problems: MispProblem[] } {
  const problems: MispProblem[] = []
  if (!isRecord(raw)) {
    problems.push(mispProblem('error', path, null, 'Event', 'an event must be a JSON object'))
    return { event: null, problems }
  }
  return { event: drain(readEvent(raw, path, problems, { read: 0 })), problems }
}

function* collectEvents(
  value: unknown,
  where: string,
  events: MispEvent[],
  problems: MispProblem[],
  count: ReadCount,
): Generator<number> {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      yield* collectEvents(value[index], `${where}[${index}]`, events, problems, count)
    }
    return
  }
  if (!isRecord(value)) {
    problems.push(
      mispProblem('error', where, null, 'Event', 'not a MISP event: expected a JSON object or array'),
    )
    return
  }
  if ('response' in value) {
    const response = value.response
    // restSearch of attributes (`{"response": {"Attribute": [...]}}`) or of objects
    // (`{"response": [{"Object": {...}}, ...]}`): elements without an event.
    if (isRecord(response) && !('Event' in response) && ('Attribute' in response || 'Object' in response)) {
      events.push(
        yield* readCollection(response.Attribute, response.Object, `${where}.response`, problems, count),
      )
      return
    }
    if (Array.isArray(response) && response.length > 0 && response.every(isObjectRecord)) {
      const objects = response.map((item) => (item as Raw).Object)
      events.push(yield* readCollection(undefined, objects, `${where}.response`, problems, count))
      return
    }
    yield* collectEvents(response, `${where}.response`, events, problems, count)
    return
  }
  if ('Event' in value) {
    const inner = value.Event
    if (!isRecord(inner)) {
      problems.push(mispProblem('error', `${where}.Event`, null, 'Event', 'Event must be a JSON object'))
      return
    }
    events.push(yield* readEvent(inner, `Event[${events.length}]`, problems, count))
    return
  }
  if (looksLikeEvent(value)) {
    events.push(yield* readEvent(value, `Event[${events.length}]`, problems, count))
    return
  }
  // `{"Object": […]}` or `{"Attribute": […]}` alone (PyMISP writes an event so before it has its
  // summary): elements of no event, read as a restSearch collection is.
  if (isElementList(value)) {
    events.push(yield* readCollection(value.Attribute, value.Object, where, problems, count))
    return
  }
  const other = otherMispDocument(value)
  if (other !== null) {
    problems.push(mispProblem('error', where, null, 'Event', other))
    return
  }
  problems.push(
    mispProblem(
      'error',
      where,
      null,
      'Event',
      'not a MISP event: no Event, response, info or uuid with content',
    ),
  )
}

/** Only `Attribute` and `Object` lists: elements without an event. */
function isElementList(value: Raw): boolean {
  const keys = Object.keys(value)
  return (
    keys.length > 0 &&
    keys.every((k) => k === 'Attribute' || k === 'Object') &&
    keys.some((k) => Array.isArray(value[k]))
  )
}

/**
 * Why a MISP document that is no event cannot be imported, or null when it is none of those:
 * a galaxy, a sharing group (MISP's API answers), an empty object.
 */
function otherMispDocument(value: Raw): string | null {
  if ('GalaxyCluster' in value) {
    const name = text(value.name)
    return (
      `not a MISP event but a galaxy${name === undefined ? '' : ` ('${name}')`}: galaxies are imported ` +
      'with the event or attribute they are attached to (its Galaxy list)'
    )
  }
  if ('SharingGroup' in value) {
    return (
      'not a MISP event but a sharing group: sharing groups are set up in Liaison ' +
      '(liaison group create), not imported'
    )
  }
  if (Object.keys(value).length === 0) {
    return 'not a MISP event: an empty JSON object'
  }
  return null
}

/**
 * True when content looks like MISP rather than STIX: an event (bare, or in an `Event` or `response`
 * envelope), attributes or objects of no event, or another MISP document (a galaxy, a sharing group),
 * which the MISP reader then names for what it is.
 */
export function looksLikeMisp(content: unknown): boolean {
  const first = Array.isArray(content) ? (content[0] as unknown) : content
  if (!isRecord(first)) {
    return false
  }
  // A bare event: MISP's one-line summary, and no STIX type (PyMISP writes events without attributes).
  return (
    'Event' in first ||
    'response' in first ||
    ('info' in first && !('type' in first)) ||
    isElementList(first) ||
    'GalaxyCluster' in first ||
    'SharingGroup' in first
  )
}

/** `{"Object": {...}}`: one element of a restSearch of objects. */
function isObjectRecord(item: unknown): boolean {
  return isRecord(item) && Object.keys(item).length === 1 && isRecord(item.Object)
}

/**
 * A restSearch collection: attributes and objects of no event, read as an event that stands for
 * none (`collection`), which maps to their STIX objects alone, as misp-stix maps such a collection.
 * Its uuid is derived from the content (nothing refers to it).
 */
function* readCollection(
  attributes: unknown,
  objects: unknown,
  path: string,
  problems: MispProblem[],
  count: ReadCount,
): Generator<number, MispEvent> {
  const uuid = uuidV5(GENERATED_UUID_NAMESPACE, `collection ${contentHash({ attributes, objects })}`)
  const seen = new Set<string>()
  const event: MispEvent = {
    uuid,
    info: 'MISP collection',
    date: '',
    published: false,
    collection: true,
    Tag: [],
    Attribute: [],
    Object: [],
    Galaxy: [],
    Sighting: [],
  }
  for (const [item, itemPath] of recordsOf(attributes, `${path}.Attribute`, uuid, problems)) {
    event.Attribute.push(readAttribute(item, itemPath, problems, seen, false, uuid))
    count.read += 1
    if (count.read % PARSE_STEP === 0) {
      yield count.read
    }
  }
  for (const [item, itemPath] of recordsOf(objects, `${path}.Object`, uuid, problems)) {
    event.Object.push(readObject(item, itemPath, problems, seen, uuid))
    count.read += 1
    if (count.read % PARSE_STEP === 0) {
      yield count.read
    }
  }
  if (event.Attribute.length === 0 && event.Object.length === 0) {
    problems.push(mispProblem('error', path, null, 'Attribute', 'a collection without attributes or objects'))
  }
  // What an element without a timestamp of its own is dated by: the collection's latest change.
  const latest = [...event.Attribute, ...event.Object]
    .map((element) => element.timestamp)
    .filter((t): t is string => t !== undefined)
    .reduce<string | undefined>(
      (max, t) => (max === undefined || Number(t) > Number(max) ? t : max),
      undefined,
    )
  if (latest !== undefined) {
    event.timestamp = latest
  }
  return event
}

function looksLikeEvent(value: Raw): boolean {
  if ('info' in value) {
    return true
  }
  return 'uuid' in value && ('Attribute' in value || 'Object' in value || 'date' in value || 'Orgc' in value)
}

function* readEvent(
  raw: Raw,
  path: string,
  problems: MispProblem[],
  count: ReadCount,
): Generator<number, MispEvent> {
  // An event without a uuid (PyMISP builds them so) gets one from its content, as MISP gives one.
  const uuid = readUuid(raw, path, problems, 'error', () => `event ${contentHash(raw)}`)
  const seen = new Set<string>()
  if (uuid !== '') {
    seen.add(uuid)
  }
  const info = text(raw.info)
  if (info === undefined) {
    problems.push(mispProblem('error', path, uuid, 'info', 'missing (an event needs a one-line summary)'))
  }
  const date = text(raw.date)
  if (date === undefined) {
    problems.push(mispProblem('error', path, uuid, 'date', 'missing (YYYY-MM-DD)'))
  } else if (!DATE_RE.test(date)) {
    problems.push(mispProblem('error', path, uuid, 'date', `'${date}' is not a YYYY-MM-DD date`))
  }
  const event: MispEvent = {
    uuid,
    info: info ?? '',
    date: date ?? '',
    published: false,
    Tag: readTags(raw, path, uuid, problems),
    Attribute: [],
    Object: [],
    Galaxy: [],
    Sighting: [],
  }
  const threatLevel = readEnum(raw, 'threat_level_id', ['1', '2', '3', '4'], path, uuid, problems, 'warning')
  if (threatLevel !== undefined) {
    event.threat_level_id = threatLevel
  }
  const analysis = readEnum(raw, 'analysis', ['0', '1', '2'], path, uuid, problems, 'warning')
  if (analysis !== undefined) {
    event.analysis = analysis
  }
  const distribution = readDistribution(raw, path, uuid, problems, false)
  if (distribution !== undefined) {
    event.distribution = distribution
  }
  assignText(event, 'sharing_group_id', raw.sharing_group_id)
  checkSharingGroup(distribution, event.sharing_group_id, path, uuid, problems)
  const published = bool(raw.published)
  if (published === undefined) {
    problems.push(mispProblem('warning', path, uuid, 'published', 'missing; read as unpublished'))
  } else {
    event.published = published
  }
  const timestamp = readTimestamp(raw, 'timestamp', path, uuid, problems)
  if (timestamp === undefined) {
    problems.push(
      mispProblem('warning', path, uuid, 'timestamp', 'missing (Unix seconds of the last change)'),
    )
  } else {
    event.timestamp = timestamp
  }
  noteProposals(raw, path, uuid, problems)
  const publishTimestamp = readTimestamp(raw, 'publish_timestamp', path, uuid, problems)
  if (publishTimestamp !== undefined) {
    event.publish_timestamp = publishTimestamp
  }
  const extendsUuid = text(raw.extends_uuid)
  if (extendsUuid !== undefined && extendsUuid !== '') {
    if (!isUuid(extendsUuid)) {
      problems.push(mispProblem('warning', path, uuid, 'extends_uuid', `'${extendsUuid}' is not a UUID`))
    }
    event.extends_uuid = extendsUuid
  }
  const orgc = readOrg(raw.Orgc)
  if (orgc === undefined) {
    problems.push(mispProblem('warning', path, uuid, 'Orgc', 'missing (the creator organisation)'))
  } else {
    event.Orgc = orgc
  }
  const org = readOrg(raw.Org)
  if (org !== undefined) {
    event.Org = org
  }
  for (const [item, itemPath] of recordsOf(raw.Attribute, `${path}.Attribute`, uuid, problems)) {
    event.Attribute.push(readAttribute(item, itemPath, problems, seen, false, uuid))
    count.read += 1
    if (count.read % PARSE_STEP === 0) {
      yield count.read
    }
  }
  for (const [item, itemPath] of recordsOf(raw.Object, `${path}.Object`, uuid, problems)) {
    event.Object.push(readObject(item, itemPath, problems, seen, uuid))
    count.read += 1
    if (count.read % PARSE_STEP === 0) {
      yield count.read
    }
  }
  event.Galaxy = readGalaxies(raw.Galaxy, `${path}.Galaxy`, uuid, problems)
  if (raw.EventReport !== undefined) {
    const reports: MispEventReport[] = []
    forEachRecord(raw.EventReport, `${path}.EventReport`, uuid, problems, (item, itemPath) => {
      reports.push(readEventReport(item, itemPath, problems))
    })
    event.EventReport = reports
  }
  event.Sighting = readSightings(raw.Sighting, `${path}.Sighting`, uuid, problems)
  return event
}

function readAttribute(
  raw: Raw,
  path: string,
  problems: MispProblem[],
  seen: Set<string>,
  inObject: boolean,
  eventUuid: string,
): MispAttribute {
  const uuid = readUuid(raw, path, problems, 'error', () => `${eventUuid} ${path}`)
  noteDuplicate(uuid, seen, path, problems)
  const type = text(raw.type)
  if (type === undefined || type === '') {
    problems.push(mispProblem('error', path, uuid, 'type', 'missing'))
  } else if (!isKnownAttributeType(type)) {
    problems.push(mispProblem('error', path, uuid, 'type', `unknown attribute type '${type}'`))
  }
  const category = text(raw.category)
  if (category === undefined || category === '') {
    problems.push(mispProblem('error', path, uuid, 'category', 'missing'))
  } else if (!isKnownCategory(category)) {
    problems.push(mispProblem('error', path, uuid, 'category', `unknown category '${category}'`))
  } else if (type !== undefined && isKnownAttributeType(type) && !isTypeAllowedInCategory(type, category)) {
    problems.push(
      mispProblem('warning', path, uuid, 'category', `type '${type}' is not listed under '${category}'`),
    )
  }
  const sample = newMalwareSample(type, raw, path, uuid, problems)
  const packed = sample === 'refused' ? null : sample
  const value = packed?.value ?? text(raw.value)
  if (value === undefined || value === '') {
    problems.push(mispProblem('error', path, uuid, 'value', 'missing'))
  } else if (type !== undefined && sample !== 'refused') {
    checkValue(type, value, path, uuid, problems)
  }
  noteProposals(raw, path, uuid, problems)
  const toIds = bool(raw.to_ids)
  if (toIds === undefined) {
    problems.push(mispProblem('warning', path, uuid, 'to_ids', 'missing or not a boolean; read as false'))
  }
  const attribute: MispAttribute = {
    uuid,
    type: type ?? '',
    category: category ?? '',
    value: value ?? '',
    to_ids: toIds ?? false,
    comment: text(raw.comment) ?? '',
    Tag: readTags(raw, path, uuid, problems),
    Sighting: readSightings(raw.Sighting, `${path}.Sighting`, uuid, problems),
    Galaxy: readGalaxies(raw.Galaxy, `${path}.Galaxy`, uuid, problems),
  }
  const distribution = readDistribution(raw, path, uuid, problems, true)
  if (distribution !== undefined) {
    attribute.distribution = distribution
  }
  assignText(attribute, 'sharing_group_id', raw.sharing_group_id)
  checkSharingGroup(distribution, attribute.sharing_group_id, path, uuid, problems)
  const timestamp = readTimestamp(raw, 'timestamp', path, uuid, problems)
  if (timestamp !== undefined) {
    attribute.timestamp = timestamp
  }
  readSeen(raw, attribute, path, uuid, problems)
  const relation = text(raw.object_relation)
  if (relation !== undefined && relation !== '') {
    attribute.object_relation = relation
  } else if (inObject) {
    problems.push(
      mispProblem('warning', path, uuid, 'object_relation', 'missing for an attribute inside an object'),
    )
  }
  const disableCorrelation = bool(raw.disable_correlation)
  if (disableCorrelation === true) {
    attribute.disable_correlation = true
  }
  const deleted = bool(raw.deleted)
  if (deleted === true) {
    attribute.deleted = true
  }
  const data = packed?.data ?? text(raw.data)
  if (data !== undefined && data !== '') {
    attribute.data = data
  }
  return attribute
}

/**
 * Proposals (`ShadowAttribute`: changes other organisations suggest, awaiting the event owner's
 * approval) are no content of the event: not imported, and said so.
 */
function noteProposals(raw: Raw, path: string, uuid: string, problems: MispProblem[]): void {
  const proposals = raw.ShadowAttribute
  if (Array.isArray(proposals) && proposals.length > 0) {
    problems.push(
      mispProblem(
        'warning',
        path,
        uuid,
        'ShadowAttribute',
        `${proposals.length} proposal(s) not imported: proposals await the event owner's approval and are no content of the event`,
      ),
    )
  }
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * A new malware sample as PyMISP sends one (`encrypt` set, the file itself in `data`, the value its
 * name without the MD5), packed as MISP packs it on receipt: value `name|md5`, data the archive
 * encrypted with "infected". Null for anything else (an existing sample's archive, other types);
 * 'refused' when the file is not base64 (the problem, on `data`, is recorded).
 */
function newMalwareSample(
  type: string | undefined,
  raw: Raw,
  path: string,
  uuid: string,
  problems: MispProblem[],
): { value: string; data: string } | 'refused' | null {
  const filename = text(raw.value)
  const data = text(raw.data)
  if (type !== 'malware-sample' || bool(raw.encrypt) !== true || filename === undefined || filename === '') {
    return null
  }
  if (filename.includes('|') || data === undefined || data === '') {
    return null
  }
  const base64 = data.replace(/\s+/g, '')
  if (!BASE64_RE.test(base64)) {
    problems.push(mispProblem('error', path, uuid, 'data', 'the sample (encrypt set) is not base64'))
    return 'refused'
  }
  return packMalwareSample(filename, Buffer.from(base64, 'base64'))
}

function checkValue(type: string, value: string, path: string, uuid: string, problems: MispProblem[]): void {
  if (isCompositeType(type)) {
    const bar = value.indexOf('|')
    if (bar < 0) {
      problems.push(
        mispProblem(
          'error',
          path,
          uuid,
          'value',
          `type '${type}' needs two parts separated by '|', got 1 part`,
        ),
      )
      return
    }
    const parts = type === 'regkey|value' ? 2 : value.split('|').length
    if (parts !== 2) {
      problems.push(
        mispProblem(
          'error',
          path,
          uuid,
          'value',
          `type '${type}' needs exactly 2 parts separated by '|', got ${parts}`,
        ),
      )
      return
    }
    const first = value.slice(0, bar)
    const second = value.slice(bar + 1)
    if (first === '' || second === '') {
      problems.push(
        mispProblem('error', path, uuid, 'value', `type '${type}' has an empty part in '${value}'`),
      )
      return
    }
    const [firstType, secondType] = compositePartTypes(type)
    checkSimpleValue(firstType, first, path, uuid, problems, `first part of '${type}'`)
    checkSimpleValue(secondType, second, path, uuid, problems, `second part of '${type}'`)
    return
  }
  checkSimpleValue(type, value, path, uuid, problems, `type '${type}'`)
}

function compositePartTypes(type: string): [string, string] {
  if (type === 'malware-sample') {
    return ['filename', 'md5']
  }
  const bar = type.indexOf('|')
  const first = type.slice(0, bar)
  const second = type.slice(bar + 1)
  if (first === 'ip-src' || first === 'ip-dst' || first === 'hostname') {
    return [first, 'port']
  }
  if (type === 'domain|ip') {
    return ['domain', 'ip-dst']
  }
  return [first, second]
}

function checkSimpleValue(
  type: string,
  value: string,
  path: string,
  uuid: string,
  problems: MispProblem[],
  what: string,
): void {
  const hexLength = HASH_HEX_LENGTH[type]
  if (hexLength !== undefined) {
    if (!HEX_RE.test(value)) {
      problems.push(mispProblem('error', path, uuid, 'value', `${what}: '${value}' is not hexadecimal`))
    } else if (value.length !== hexLength) {
      problems.push(
        mispProblem(
          'error',
          path,
          uuid,
          'value',
          `${what}: a ${type} hash has ${hexLength} hex digits, '${value}' has ${value.length}`,
        ),
      )
    }
    return
  }
  switch (type) {
    case 'port': {
      if (!PORT_RE.test(value) || Number(value) > 65535) {
        problems.push(
          mispProblem('error', path, uuid, 'value', `${what}: '${value}' is not a port number (0–65535)`),
        )
      }
      return
    }
    case 'ip-src':
    case 'ip-dst': {
      if (!isIpLike(value)) {
        problems.push(
          mispProblem('warning', path, uuid, 'value', `${what}: '${value}' is not an IP address or CIDR`),
        )
      }
      return
    }
    case 'AS': {
      if (!AS_RE.test(value)) {
        problems.push(mispProblem('warning', path, uuid, 'value', `${what}: '${value}' is not an AS number`))
      }
      return
    }
    case 'ssdeep': {
      if (!SSDEEP_RE.test(value)) {
        problems.push(
          mispProblem('warning', path, uuid, 'value', `${what}: '${value}' is not an ssdeep digest`),
        )
      }
      return
    }
    default:
      return
  }
}

function isIpLike(value: string): boolean {
  const v4 = IPV4_RE.exec(value)
  if (v4 !== null) {
    return [v4[1], v4[2], v4[3], v4[4]].every((octet) => Number(octet) <= 255)
  }
  return IPV6_RE.test(value)
}

function readObject(
  raw: Raw,
  path: string,
  problems: MispProblem[],
  seen: Set<string>,
  eventUuid: string,
): MispObject {
  const uuid = readUuid(raw, path, problems, 'error', () => `${eventUuid} ${path}`)
  noteDuplicate(uuid, seen, path, problems)
  const name = text(raw.name)
  if (name === undefined || name === '') {
    problems.push(mispProblem('error', path, uuid, 'name', 'missing (the object template name)'))
  }
  const metaCategory = text(raw['meta-category'])
  if (metaCategory === undefined || metaCategory === '') {
    problems.push(mispProblem('warning', path, uuid, 'meta-category', 'missing'))
  }
  const object: MispObject = {
    uuid,
    name: name ?? '',
    'meta-category': metaCategory ?? '',
    Tag: readTags(raw, path, uuid, problems),
    Attribute: [],
    ObjectReference: [],
  }
  assignText(object, 'description', raw.description)
  const templateUuid = text(raw.template_uuid)
  if (templateUuid === undefined || templateUuid === '') {
    problems.push(mispProblem('warning', path, uuid, 'template_uuid', 'missing'))
  } else {
    object.template_uuid = templateUuid
  }
  assignText(object, 'template_version', raw.template_version)
  const distribution = readDistribution(raw, path, uuid, problems, true)
  if (distribution !== undefined) {
    object.distribution = distribution
  }
  assignText(object, 'sharing_group_id', raw.sharing_group_id)
  checkSharingGroup(distribution, object.sharing_group_id, path, uuid, problems)
  const timestamp = readTimestamp(raw, 'timestamp', path, uuid, problems)
  if (timestamp !== undefined) {
    object.timestamp = timestamp
  }
  assignText(object, 'comment', raw.comment)
  readSeen(raw, object, path, uuid, problems)
  if (bool(raw.deleted) === true) {
    object.deleted = true
  }
  forEachRecord(raw.Attribute, `${path}.Attribute`, uuid, problems, (item, itemPath) => {
    object.Attribute.push(readAttribute(item, itemPath, problems, seen, true, eventUuid))
  })
  if (object.Attribute.length === 0) {
    problems.push(mispProblem('warning', path, uuid, 'Attribute', 'an object without attributes'))
  }
  forEachRecord(raw.ObjectReference, `${path}.ObjectReference`, uuid, problems, (item, itemPath) => {
    const reference = readReference(item, itemPath, problems)
    if (reference !== null) {
      object.ObjectReference.push(reference)
    }
  })
  return object
}

function readReference(raw: Raw, path: string, problems: MispProblem[]): MispObjectReference | null {
  const uuid = text(raw.uuid)
  const referenced = text(raw.referenced_uuid)
  const relationship = text(raw.relationship_type)
  if (referenced === undefined || referenced === '') {
    problems.push(mispProblem('error', path, uuid, 'referenced_uuid', 'missing'))
    return null
  }
  if (relationship === undefined || relationship === '') {
    problems.push(mispProblem('error', path, uuid, 'relationship_type', 'missing'))
    return null
  }
  const reference: MispObjectReference = { referenced_uuid: referenced, relationship_type: relationship }
  if (uuid !== undefined && uuid !== '') {
    if (!isUuid(uuid)) {
      problems.push(mispProblem('warning', path, uuid, 'uuid', `'${uuid}' is not a UUID`))
    }
    reference.uuid = uuid
  }
  assignText(reference, 'comment', raw.comment)
  assignText(reference, 'timestamp', raw.timestamp)
  return reference
}

function readGalaxies(
  value: unknown,
  path: string,
  ownerUuid: string,
  problems: MispProblem[],
): MispGalaxy[] {
  const galaxies: MispGalaxy[] = []
  forEachRecord(value, path, ownerUuid, problems, (raw, itemPath) => {
    const uuid = text(raw.uuid) ?? ''
    if (uuid !== '' && !isUuid(uuid)) {
      problems.push(mispProblem('warning', itemPath, uuid, 'uuid', `'${uuid}' is not a UUID`))
    }
    const galaxy: MispGalaxy = {
      uuid,
      name: text(raw.name) ?? '',
      type: text(raw.type) ?? '',
      description: text(raw.description) ?? '',
      GalaxyCluster: [],
    }
    if (galaxy.type === '') {
      problems.push(mispProblem('warning', itemPath, uuid, 'type', 'missing'))
    }
    assignText(galaxy, 'namespace', raw.namespace)
    forEachRecord(
      raw.GalaxyCluster,
      `${itemPath}.GalaxyCluster`,
      uuid,
      problems,
      (rawCluster, clusterPath) => {
        const cluster = readCluster(rawCluster, clusterPath, galaxy.type, problems)
        if (cluster !== null) {
          galaxy.GalaxyCluster.push(cluster)
        }
      },
    )
    galaxies.push(galaxy)
  })
  return galaxies
}

function readCluster(
  raw: Raw,
  path: string,
  galaxyType: string,
  problems: MispProblem[],
): MispGalaxyCluster | null {
  const uuid = text(raw.uuid) ?? ''
  if (uuid === '' || !isUuid(uuid)) {
    // Clusters of older exports have no uuid; the value and tag name still identify them.
    problems.push(
      mispProblem('warning', path, uuid, 'uuid', uuid === '' ? 'missing' : `'${uuid}' is not a UUID`),
    )
  }
  const value = text(raw.value)
  if (value === undefined || value === '') {
    problems.push(mispProblem('error', path, uuid, 'value', 'missing'))
    return null
  }
  const type = text(raw.type) ?? galaxyType
  const cluster: MispGalaxyCluster = {
    uuid,
    type,
    value,
    tag_name: text(raw.tag_name) ?? `misp-galaxy:${type}="${value}"`,
    description: text(raw.description) ?? '',
    meta: {},
  }
  assignText(cluster, 'source', raw.source)
  assignText(cluster, 'version', raw.version)
  assignText(cluster, 'collection_uuid', raw.collection_uuid)
  if (Array.isArray(raw.authors)) {
    cluster.authors = raw.authors.filter((author): author is string => typeof author === 'string')
  }
  if (isRecord(raw.meta)) {
    for (const [key, entry] of Object.entries(raw.meta)) {
      cluster.meta[key] = toJsonValue(entry)
    }
  }
  return cluster
}

function readEventReport(raw: Raw, path: string, problems: MispProblem[]): MispEventReport {
  const uuid = readUuid(raw, path, problems, 'error')
  const report: MispEventReport = { uuid, name: text(raw.name) ?? '', content: text(raw.content) ?? '' }
  const distribution = readDistribution(raw, path, uuid, problems, true)
  if (distribution !== undefined) {
    report.distribution = distribution
  }
  const timestamp = readTimestamp(raw, 'timestamp', path, uuid, problems)
  if (timestamp !== undefined) {
    report.timestamp = timestamp
  }
  if (bool(raw.deleted) === true) {
    report.deleted = true
  }
  return report
}

function readSightings(
  value: unknown,
  path: string,
  ownerUuid: string,
  problems: MispProblem[],
): MispSighting[] {
  const sightings: MispSighting[] = []
  forEachRecord(value, path, ownerUuid, problems, (raw, itemPath) => {
    const uuid = text(raw.uuid)
    const type = text(raw.type) ?? '0'
    if (type !== '0' && type !== '1' && type !== '2') {
      problems.push(mispProblem('error', itemPath, uuid, 'type', `'${type}' is not 0 (sighting), 1 or 2`))
      return
    }
    const date = readTimestamp(raw, 'date_sighting', itemPath, uuid ?? '', problems)
    if (date === undefined) {
      problems.push(mispProblem('error', itemPath, uuid, 'date_sighting', 'missing (Unix seconds)'))
      return
    }
    const sighting: MispSighting = { type, date_sighting: date }
    if (uuid !== undefined && uuid !== '') {
      if (!isUuid(uuid)) {
        problems.push(mispProblem('warning', itemPath, uuid, 'uuid', `'${uuid}' is not a UUID`))
      }
      sighting.uuid = uuid
    }
    const source = text(raw.source)
    if (source !== undefined && source !== '') {
      sighting.source = source
    }
    const organisation = readOrg(raw.Organisation)
    if (organisation !== undefined) {
      sighting.Organisation = organisation
    }
    assignText(sighting, 'attribute_uuid', raw.attribute_uuid)
    sightings.push(sighting)
  })
  return sightings
}

function readTags(raw: Raw, path: string, ownerUuid: string, problems: MispProblem[]): MispTag[] {
  const tags: MispTag[] = []
  const add = (item: unknown, itemPath: string): void => {
    if (!isRecord(item)) {
      problems.push(mispProblem('warning', itemPath, ownerUuid, 'Tag', 'a tag must be an object with a name'))
      return
    }
    const name = text(item.name)
    if (name === undefined || name === '') {
      problems.push(mispProblem('warning', itemPath, ownerUuid, 'Tag', 'a tag without a name'))
      return
    }
    const tag: MispTag = { name }
    assignText(tag, 'colour', item.colour)
    const local = bool(item.local)
    if (local !== undefined) {
      tag.local = local
    }
    const exportable = bool(item.exportable)
    if (exportable !== undefined) {
      tag.exportable = exportable
    }
    tags.push(tag)
  }
  if (Array.isArray(raw.Tag)) {
    raw.Tag.forEach((item, index) => {
      add(item, `${path}.Tag[${index}]`)
    })
  }
  // Event index results wrap each tag as EventTag[].Tag.
  if (Array.isArray(raw.EventTag)) {
    raw.EventTag.forEach((item, index) => {
      add(isRecord(item) ? item.Tag : item, `${path}.EventTag[${index}]`)
    })
  }
  return tags
}

function readOrg(value: unknown): MispOrg | undefined {
  if (!isRecord(value)) {
    return undefined
  }
  const org: MispOrg = {}
  assignText(org, 'uuid', value.uuid)
  assignText(org, 'name', value.name)
  return org.uuid === undefined && org.name === undefined ? undefined : org
}

function readUuid(
  raw: Raw,
  path: string,
  problems: MispProblem[],
  severity: MispProblem['severity'],
  generateFrom?: () => string,
): string {
  const uuid = text(raw.uuid)
  if (uuid === undefined || uuid === '') {
    if (generateFrom !== undefined) {
      // Missing (not malformed): given one derived from what identifies the element, so the same
      // content imported again gets the same uuid, as MISP would give one on import.
      const made = uuidV5(GENERATED_UUID_NAMESPACE, generateFrom())
      problems.push(
        mispProblem('warning', path, made, 'uuid', `missing; given ${made}, derived from the content`),
      )
      return made
    }
    problems.push(mispProblem(severity, path, null, 'uuid', 'missing'))
    return ''
  }
  if (!isUuid(uuid)) {
    problems.push(mispProblem(severity, path, uuid, 'uuid', `'${uuid}' is not a UUID`))
  } else if (!isRfc4122Uuid(uuid)) {
    problems.push(
      mispProblem(
        'warning',
        path,
        uuid,
        'uuid',
        'not an RFC 4122 UUID (version 1–5); STIX ids from it may be refused',
      ),
    )
  }
  return uuid
}

function noteDuplicate(uuid: string, seen: Set<string>, path: string, problems: MispProblem[]): void {
  if (uuid === '') {
    return
  }
  if (seen.has(uuid)) {
    problems.push(mispProblem('error', path, uuid, 'uuid', 'used by another element of the same event'))
    return
  }
  seen.add(uuid)
}

function readDistribution(
  raw: Raw,
  path: string,
  uuid: string,
  problems: MispProblem[],
  mayInherit: boolean,
): string | undefined {
  const value = text(raw.distribution)
  if (value === undefined || value === '') {
    return undefined
  }
  const allowed = mayInherit ? ['0', '1', '2', '3', '4', '5'] : ['0', '1', '2', '3', '4']
  if (!allowed.includes(value)) {
    const range = mayInherit ? '0–5' : '0–4 (events cannot inherit)'
    problems.push(
      mispProblem('error', path, uuid, 'distribution', `'${value}' is not a distribution level ${range}`),
    )
    return undefined
  }
  return value
}

function checkSharingGroup(
  distribution: string | undefined,
  sharingGroupId: string | undefined,
  path: string,
  uuid: string,
  problems: MispProblem[],
): void {
  if (
    distribution === '4' &&
    (sharingGroupId === undefined || sharingGroupId === '' || sharingGroupId === '0')
  ) {
    problems.push(
      mispProblem('warning', path, uuid, 'sharing_group_id', 'distribution 4 names no sharing group'),
    )
  }
}

function readEnum(
  raw: Raw,
  key: string,
  allowed: readonly string[],
  path: string,
  uuid: string,
  problems: MispProblem[],
  severity: MispProblem['severity'],
): string | undefined {
  const value = text(raw[key])
  if (value === undefined || value === '') {
    return undefined
  }
  if (!allowed.includes(value)) {
    problems.push(mispProblem(severity, path, uuid, key, `'${value}' is not one of ${allowed.join(', ')}`))
  }
  return value
}

function readTimestamp(
  raw: Raw,
  key: string,
  path: string,
  uuid: string,
  problems: MispProblem[],
): string | undefined {
  const value = raw[key]
  if (value === undefined || value === null || value === '') {
    return undefined
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) {
      return String(value)
    }
  } else if (typeof value === 'string' && UNIX_SECONDS_RE.test(value)) {
    return value
  }
  problems.push(mispProblem('error', path, uuid, key, `${JSON.stringify(value)} is not Unix seconds`))
  return undefined
}

function readSeen(
  raw: Raw,
  target: { first_seen?: string; last_seen?: string },
  path: string,
  uuid: string,
  problems: MispProblem[],
): void {
  for (const key of ['first_seen', 'last_seen'] as const) {
    const value = text(raw[key])
    if (value === undefined || value === '') {
      continue
    }
    if (!ISO_RE.test(value) || Number.isNaN(Date.parse(value))) {
      problems.push(
        mispProblem('warning', path, uuid, key, `'${value}' is not an ISO 8601 date-time; ignored`),
      )
      continue
    }
    target[key] = value
  }
}

function forEachRecord(
  value: unknown,
  path: string,
  ownerUuid: string,
  problems: MispProblem[],
  visit: (item: Raw, itemPath: string) => void,
): void {
  for (const [item, itemPath] of recordsOf(value, path, ownerUuid, problems)) {
    visit(item, itemPath)
  }
}

/** The JSON objects of a list with their paths; a problem for a list that is not one, or an item that is not an object. */
function* recordsOf(
  value: unknown,
  path: string,
  ownerUuid: string,
  problems: MispProblem[],
): Generator<[Raw, string]> {
  if (value === undefined || value === null) {
    return
  }
  if (!Array.isArray(value)) {
    problems.push(
      mispProblem('error', path, ownerUuid, path.slice(path.lastIndexOf('.') + 1), 'must be an array'),
    )
    return
  }
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index]
    const itemPath = `${path}[${index}]`
    if (!isRecord(item)) {
      problems.push(mispProblem('error', itemPath, ownerUuid, '', 'must be a JSON object'))
      continue
    }
    yield [item, itemPath]
  }
}

function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value)
  }
  return undefined
}

function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') {
    return value
  }
  if (value === 1 || value === '1' || value === 'true' || value === 'True') {
    return true
  }
  if (value === 0 || value === '0' || value === 'false' || value === 'False') {
    return false
  }
  return undefined
}

function assignText<T extends object, K extends keyof T & string>(target: T, key: K, value: unknown): void {
  const found = text(value)
  if (found !== undefined && found !== '') {
    Object.assign(target, { [key]: found })
  }
}

function toJsonValue(value: unknown): JsonValue {
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return value
  }
  if (Array.isArray(value)) {
    return value.map(toJsonValue)
  }
  if (isRecord(value)) {
    const out: { [key: string]: JsonValue } = {}
    for (const [key, entry] of Object.entries(value)) {
      out[key] = toJsonValue(entry)
    }
    return out
  }
  return null
}

/** Namespace of the UUIDv5s given to events, attributes and objects that came without a uuid. */
const GENERATED_UUID_NAMESPACE = 'e64d4e08-962d-452d-b9a4-37adf20c1500'

/** SHA-256 of an element's JSON: what identifies an event that came without a uuid. */
function contentHash(raw: Raw): string {
  return createHash('sha256').update(JSON.stringify(raw)).digest('hex')
}
