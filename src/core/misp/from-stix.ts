import { defaultCategoryOf } from './attribute-types.js'
import { valueFromObservable, valueFromPattern } from './attribute-stix.js'
import { clusterFromStix, isClusterSdo, needsGalaxyTag } from './galaxy-stix.js'
import {
  DISTRIBUTION_AUDIENCE,
  TLP1_MARKING_IDS,
  TLP2_MARKING_IDS,
  TLP_ORDER,
  mispProblem,
  papOfTag,
  tlpOfTag,
  type JsonValue,
  type MispAttribute,
  type MispAudience,
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
  type MispTlp,
  type StixObject,
} from './misp.js'
import { attributeOfPattern, attributesOfScos, composeAttribute, type DerivedAttribute } from './sco-misp.js'
import { EMPTY_EVENT_NOTE, EVENT_REPORT_LABEL, TLP2_EXTENSION_ID } from './to-stix.js'
import { asArray, asString, asStrings, isRecord, unixOfStixTime } from './util.js'
import { MISP_STIX_NAMESPACE, uuidOfStixId, uuidV5 } from './uuid.js'

/** Choices for {@link stixToMispEvent}. */
export interface StixToMispOptions {
  /** The report or grouping to rebuild; default the first one found. */
  reportId?: string
  /**
   * Liaison audience of the content; sets the distribution (org 0, community 1, federation 2, public 3,
   * group 4). A kept `x_misp_distribution` with the same audience wins (3 stays 3).
   */
  audience?: MispAudience | 'public' | null
  /**
   * Liaison TLP of the content; becomes the event's `tlp:` tag (a producer's tag of another level
   * is replaced: the label decides).
   */
  tlp?: MispTlp | null
  /**
   * Liaison PAP of the content; becomes the event's `PAP:` tag unless it is clear and the event
   * carries none (a producer's tag of another level is replaced).
   */
  pap?: 'clear' | 'green' | 'amber' | 'red' | null
  /** Event uuid when there is no report (default: derived from the object ids). */
  eventUuid?: string
  /** Event info when there is no report. */
  info?: string
  /** Creator organisation when the content names none. */
  orgc?: MispOrg
  /**
   * Tags to add to what an object becomes (its attribute or MISP object, or the event for the
   * report): an export shows where an object came from this way (`liaison:origin-instance=…`).
   */
  extraTags?: (object: StixObject) => readonly string[]
}

/** The rebuilt event and what could not be carried over. */
export interface StixToMispResult {
  event: MispEvent
  problems: MispProblem[]
}

const AUDIENCE_DISTRIBUTION: Readonly<Record<MispAudience | 'public', string>> = {
  org: '0',
  community: '1',
  federation: '2',
  public: '3',
  group: '4',
}
const MISP_LABEL_RE = /^misp:([a-z_-]+)="(.*)"$/
const META_LABELS: ReadonlySet<string> = new Set([
  'type',
  'category',
  'name',
  'meta-category',
  'to_ids',
  'galaxy-name',
  'galaxy-type',
  'data-layer',
  'context-layer',
])
const MISP_STIX_TOOL_LABEL = 'misp:tool="MISP-STIX-Converter"'
const CONTAINER_TYPES: ReadonlySet<string> = new Set(['report', 'grouping'])
const ATTRIBUTE_SLOTS: ReadonlySet<string> = new Set([
  'indicator',
  'observed-data',
  'x-misp-attribute',
  'x-misp-object',
])
const IGNORED_TYPES: ReadonlySet<string> = new Set([
  'identity',
  'marking-definition',
  'extension-definition',
  'language-content',
])

/** The STIX objects standing for one MISP attribute or object (they share the MISP uuid). */
interface Unit {
  uuid: string
  observed?: StixObject
  indicator?: StixObject
  sdo?: StixObject
  custom?: StixObject
  attribute?: MispAttribute
  object?: MispObject
}

/**
 * Rebuilds a MISP event from STIX: from a report or grouping and what it references, or, without one,
 * from all the objects. Content written by {@link mispEventToStix} (or misp-stix) comes back with its
 * uuids, types, categories, values, `to_ids`, comments and tags; other STIX becomes the closest MISP
 * (attributes from SCOs and simple patterns, `stix2-pattern` attributes, galaxies from SDOs).
 *
 * @example
 * const { event, problems } = stixToMispEvent(bundle.objects, { audience: 'community' })
 * const json = toMispJson(event) // { Event: { … } } for MISP's /events/add
 */
export function stixToMispEvent(
  objects: readonly StixObject[],
  options: StixToMispOptions = {},
): StixToMispResult {
  return new MispReader(objects, options).read()
}

/** The `{ "Event": … }` JSON MISP accepts (absent optional fields left out, scalars as strings). */
export function toMispJson(event: MispEvent): { Event: Record<string, JsonValue> } {
  const json = toJson(withStatedFlags(event))
  return { Event: isRecord(json) ? jsonRecord(json) : {} }
}

class MispReader {
  /** Every object by id, with whether it belongs to the event (kept here rather than in a second set). */
  private readonly entries = new Map<string, { object: StixObject; scoped: boolean }>()
  private readonly problems: MispProblem[] = []
  private readonly units = new Map<string, Unit>()
  private readonly unitOrder: Unit[] = []
  private readonly clusters = new Map<string, StixObject>()
  private readonly attributes = new Map<string, MispAttribute>()
  private readonly relationships: StixObject[] = []
  private readonly sightings: StixObject[] = []
  private readonly opinions: StixObject[] = []
  private readonly notes: StixObject[] = []
  private container: StixObject | undefined

  constructor(
    objects: readonly StixObject[],
    private readonly options: StixToMispOptions,
  ) {
    for (const object of objects) {
      const known = this.entries.get(object.id)
      if (known !== undefined) {
        // Several versions of one object: the newest is the current state.
        if (String(object.modified ?? '') > String(known.object.modified ?? '')) {
          known.object = object
        }
        continue
      }
      this.entries.set(object.id, { object, scoped: false })
    }
  }

  private get(id: string): StixObject | undefined {
    return this.entries.get(id)?.object
  }

  private all(): StixObject[] {
    return [...this.entries.values()].map((entry) => entry.object)
  }

  read(): StixToMispResult {
    this.container = this.pickContainer()
    for (const object of this.scope()) {
      this.classify(object)
    }
    const event = this.eventHeader()
    for (const unit of this.unitOrder) {
      this.buildUnit(unit, event)
    }
    this.linkRelationships(event)
    this.readSightings()
    event.EventReport = this.eventReports()
    if (event.EventReport.length === 0) {
      delete event.EventReport
    }
    this.eventGalaxies(event)
    return { event, problems: this.problems }
  }

  private pickContainer(): StixObject | undefined {
    const wanted = this.options.reportId
    if (wanted !== undefined) {
      const found = this.get(wanted)
      if (found === undefined || !CONTAINER_TYPES.has(found.type)) {
        this.problems.push(
          mispProblem('error', wanted, null, 'reportId', 'no report or grouping with this id'),
        )
        return undefined
      }
      return found
    }
    const containers = this.all().filter((object) => CONTAINER_TYPES.has(object.type))
    if (containers.length > 1) {
      this.problems.push(
        mispProblem(
          'warning',
          containers[0]?.id ?? '',
          null,
          'reportId',
          `${containers.length} reports or groupings; rebuilt the first, pass reportId for another`,
        ),
      )
    }
    return containers[0]
  }

  /** The container's objects (following references) in the container's order, or every object. */
  private scope(): StixObject[] {
    const container = this.container
    if (container === undefined) {
      return this.all()
    }
    const ordered: StixObject[] = []
    const visit = (id: unknown): void => {
      const entry = typeof id === 'string' ? this.entries.get(id) : undefined
      if (entry === undefined || entry.scoped || entry.object === container) {
        return
      }
      entry.scoped = true
      ordered.push(entry.object)
    }
    for (const ref of asArray(container.object_refs)) {
      visit(ref)
    }
    for (let index = 0; index < ordered.length; index++) {
      const object = ordered[index]
      if (object !== undefined) {
        for (const ref of referencesOf(object)) {
          visit(ref)
        }
      }
    }
    // Relationships, sightings and opinions about the container's objects belong to it even unlisted.
    const scoped = (ref: unknown): boolean =>
      typeof ref === 'string' && this.entries.get(ref)?.scoped === true
    for (const entry of this.entries.values()) {
      const object = entry.object
      if (entry.scoped) {
        continue
      }
      const about =
        object.type === 'relationship'
          ? [object.source_ref, object.target_ref]
          : object.type === 'sighting'
            ? [object.sighting_of_ref]
            : object.type === 'opinion'
              ? asArray(object.object_refs)
              : []
      if (about.length > 0 && about.every(scoped)) {
        entry.scoped = true
        ordered.push(object)
      }
    }
    return ordered
  }

  private classify(object: StixObject): void {
    const type = object.type
    if (type === 'indicator' && typeof object.x_misp_object_ref === 'string') {
      // An indicator for an attribute of an unmapped object: the object carries that attribute.
      return
    }
    if (ATTRIBUTE_SLOTS.has(type)) {
      const unit = this.unitOf(object.id)
      if (type === 'indicator') {
        unit.indicator = object
      } else if (type === 'observed-data') {
        unit.observed = object
      } else {
        unit.custom = object
      }
      return
    }
    if (type === 'relationship') {
      this.relationships.push(object)
      return
    }
    if (type === 'sighting') {
      this.sightings.push(object)
      return
    }
    if (type === 'opinion') {
      this.opinions.push(object)
      return
    }
    if (type === 'note') {
      if (object.x_misp_sighting_type === '2') {
        this.opinions.push(object)
      } else {
        this.notes.push(object)
      }
      return
    }
    const labels = asStrings(object.labels)
    const mispType = labelValue(labels, 'type')
    const isMispObject = labelValue(labels, 'name') !== undefined || 'x_misp_attributes' in object
    if (mispType !== undefined || isMispObject) {
      this.unitOf(object.id).sdo = object
      return
    }
    if (isClusterSdo(object)) {
      this.clusters.set(object.id, object)
      return
    }
    if (type === 'vulnerability') {
      this.unitOf(object.id).sdo = object
      return
    }
    if (type !== 'identity' && isClusterType(type)) {
      this.clusters.set(object.id, object)
      return
    }
    if (IGNORED_TYPES.has(type) || CONTAINER_TYPES.has(type) || object.created === undefined) {
      // Identities name organisations, markings become tags, SCOs are read through their observed-data.
      return
    }
    this.problems.push(
      mispProblem('warning', object.id, null, 'type', `a ${type} has no MISP equivalent; left out`),
    )
  }

  private unitOf(id: string): Unit {
    const uuid = uuidOfStixId(id) ?? id
    let unit = this.units.get(uuid)
    if (unit === undefined) {
      unit = { uuid }
      this.units.set(uuid, unit)
      this.unitOrder.push(unit)
    }
    return unit
  }

  private eventHeader(): MispEvent {
    const container = this.container
    const options = this.options
    const event: MispEvent = {
      uuid: '',
      info: '',
      date: '',
      published: false,
      Tag: [],
      Attribute: [],
      Object: [],
      Galaxy: [],
      Sighting: [],
    }
    if (container === undefined) {
      const ids = [...this.entries.keys()].sort()
      event.uuid = options.eventUuid ?? uuidV5(MISP_STIX_NAMESPACE, `event - ${ids.join(' ')}`)
      event.info = options.info ?? 'STIX content'
      const times = this.all()
        .map((object) => asString(object.modified) ?? asString(object.created))
        .filter((time): time is string => time !== undefined)
        .sort()
      const first = times[0]
      const last = times.at(-1)
      event.date = first === undefined ? '1970-01-01' : first.slice(0, 10)
      const timestamp = unixOfStixTime(last)
      if (timestamp !== undefined) {
        event.timestamp = timestamp
      }
      if (options.orgc !== undefined) {
        event.Orgc = options.orgc
      }
    } else {
      event.uuid = asString(container.x_misp_uuid) ?? uuidOfStixId(container.id) ?? container.id
      event.info = asString(container.x_misp_info) ?? asString(container.name) ?? ''
      event.published = container.type === 'report'
      const date =
        asString(container.x_misp_date) ?? asString(container.published) ?? asString(container.created)
      event.date = date === undefined ? '1970-01-01' : date.slice(0, 10)
      if (container.x_misp_no_timestamp !== true) {
        const timestamp = unixOfStixTime(container.modified)
        if (timestamp !== undefined) {
          event.timestamp = timestamp
        }
      }
      // Containers written from MISP say whether the event had a publish_timestamp; others only have `published`.
      const fromMisp = 'x_misp_date' in container
      const publishTimestamp =
        asString(container.x_misp_publish_timestamp) ??
        (container.type === 'report' && !fromMisp ? unixOfStixTime(container.published) : undefined)
      if (publishTimestamp !== undefined) {
        event.publish_timestamp = publishTimestamp
      }
      const optional = {
        threat_level_id: asString(container.x_misp_threat_level_id),
        analysis: asString(container.x_misp_analysis),
        distribution: asString(container.x_misp_distribution),
        sharing_group_id: asString(container.x_misp_sharing_group_id),
        extends_uuid: asString(container.x_misp_extends_uuid),
      }
      for (const [key, value] of Object.entries(optional)) {
        if (value !== undefined) {
          Object.assign(event, { [key]: value })
        }
      }
      const orgc = this.organisation(container.created_by_ref) ?? orgOf(container.x_misp_orgc) ?? options.orgc
      if (orgc !== undefined) {
        event.Orgc = orgc
      }
      event.Tag = this.tagsOf([container], true)
    }
    const tlp = options.tlp
    if (tlp !== undefined && tlp !== null && strictestTagTlp(event.Tag) !== tlp) {
      // The label decides how the event may be shared, not the producer's tag: a TLP tag of another
      // level goes, the label's comes (one of the same level is kept as it was spelt).
      event.Tag = [...event.Tag.filter((tag) => tlpOfTag(tag.name) === null), { name: `tlp:${tlp}` }]
    }
    const pap = options.pap
    if (pap !== undefined && pap !== null) {
      const papTags = event.Tag.filter((tag) => papOfTag(tag.name) !== null)
      const agrees = papTags.length > 0 && papTags.every((tag) => papOfTag(tag.name) === pap)
      if (!agrees && (pap !== 'clear' || papTags.length > 0)) {
        event.Tag = [
          ...event.Tag.filter((tag) => papOfTag(tag.name) === null),
          { name: `PAP:${pap.toUpperCase()}` },
        ]
      }
    }
    const audience = options.audience
    if (audience !== undefined && audience !== null) {
      const kept = event.distribution
      const keptAudience =
        kept === undefined ? undefined : kept === '3' ? 'federation' : DISTRIBUTION_AUDIENCE[kept]
      const matches =
        kept !== undefined && (keptAudience === audience || (audience === 'public' && kept === '3'))
      if (!matches) {
        event.distribution = AUDIENCE_DISTRIBUTION[audience]
        if (audience === 'group') {
          this.problems.push(
            mispProblem(
              'warning',
              container?.id ?? 'Event',
              event.uuid,
              'sharing_group_id',
              'choose the sharing group in MISP',
            ),
          )
        }
      }
    }
    return event
  }

  private buildUnit(unit: Unit, event: MispEvent): void {
    const members = [unit.observed, unit.sdo, unit.custom, unit.indicator].filter(
      (member): member is StixObject => member !== undefined,
    )
    const primary = members[0]
    if (primary === undefined) {
      return
    }
    const labels = unionLabels(members)
    const isObject =
      primary.type === 'x-misp-object' ||
      'x_misp_attributes' in primary ||
      labelValue(labels, 'name') !== undefined
    if (isObject) {
      const object = this.objectOf(unit, primary, labels)
      if (object !== null) {
        unit.object = object
        event.Object.push(object)
      }
      return
    }
    const isMisp = primary.type === 'x-misp-attribute' || labelValue(labels, 'type') !== undefined
    const attribute = isMisp
      ? this.mispAttributeOf(unit, primary, labels)
      : this.foreign(unit, primary, event)
    if (attribute !== null) {
      unit.attribute = attribute
      this.attributes.set(attribute.uuid, attribute)
      event.Attribute.push(attribute)
    }
  }

  private mispAttributeOf(unit: Unit, primary: StixObject, labels: readonly string[]): MispAttribute | null {
    const type = labelValue(labels, 'type') ?? asString(primary.x_misp_type)
    if (type === undefined) {
      this.problems.push(
        mispProblem('error', primary.id, unit.uuid, 'type', 'no misp:type label or x_misp_type'),
      )
      return null
    }
    const category =
      labelValue(labels, 'category') ??
      killChainCategory(unit.indicator) ??
      asString(primary.x_misp_category) ??
      defaultCategoryOf(type)
    let value = asString(primary.x_misp_value)
    let data = asString(primary.x_misp_data)
    if (unit.observed !== undefined && (value === undefined || data === undefined)) {
      const back = valueFromObservable(type, this.scosOf(unit.observed))
      value ??= back?.value
      data ??= back?.data
    }
    if (value === undefined && unit.indicator !== undefined) {
      const pattern = asString(unit.indicator.pattern) ?? ''
      value = valueFromPattern(type, pattern, asString(unit.indicator.pattern_type) ?? 'stix') ?? undefined
    }
    if (value === undefined && unit.sdo !== undefined) {
      value = asString(unit.sdo.name)
    }
    if (value === undefined) {
      this.problems.push(
        mispProblem('error', primary.id, unit.uuid, 'value', `no ${type} value found in the STIX objects`),
      )
      return null
    }
    const comment =
      asString(unit.indicator?.description) ??
      asString(primary.x_misp_comment) ??
      (unit.sdo === undefined ? undefined : asString(unit.sdo.description)) ??
      ''
    const attribute: MispAttribute = {
      uuid: asString(primary.x_misp_uuid) ?? unit.uuid,
      type,
      category,
      value,
      to_ids: unit.indicator !== undefined || labels.includes('misp:to_ids="True"'),
      comment,
      Tag: this.tagsOf([primary, ...(unit.indicator === undefined ? [] : [unit.indicator])], false),
      Sighting: [],
      Galaxy: [],
    }
    this.copyAttributeExtras(attribute, primary)
    if (data !== undefined) {
      attribute.data = data
    }
    return attribute
  }

  private copyAttributeExtras(attribute: MispAttribute, primary: StixObject): void {
    if (primary.x_misp_no_timestamp !== true) {
      const timestamp = unixOfStixTime(primary.modified)
      if (timestamp !== undefined) {
        attribute.timestamp = timestamp
      }
    }
    const optional = {
      distribution: asString(primary.x_misp_distribution),
      sharing_group_id: asString(primary.x_misp_sharing_group_id),
      first_seen: asString(primary.x_misp_first_seen),
      last_seen: asString(primary.x_misp_last_seen),
    }
    for (const [key, value] of Object.entries(optional)) {
      if (value !== undefined) {
        Object.assign(attribute, { [key]: value })
      }
    }
    if (primary.x_misp_disable_correlation === true) {
      attribute.disable_correlation = true
    }
    if (primary.revoked === true) {
      attribute.deleted = true
    }
  }

  private foreign(unit: Unit, primary: StixObject, event: MispEvent): MispAttribute | null {
    const base = {
      category: killChainCategory(unit.indicator),
      comment: asString(unit.indicator?.description) ?? asString(primary.description) ?? '',
      tags: this.tagsOf([primary], false),
      timestamp: unixOfStixTime(primary.modified),
    }
    let derived: DerivedAttribute | null = null
    let toIds = false
    if (unit.observed !== undefined) {
      const read = attributesOfScos(this.scosOf(unit.observed), (id) => this.get(id))
      if (read === null) {
        this.problems.push(
          mispProblem('warning', primary.id, unit.uuid, 'object_refs', 'no observable MISP can hold'),
        )
        return null
      }
      derived = composeAttribute(read.attributes)
      if (derived === null) {
        const object: MispObject = {
          uuid: unit.uuid,
          name: read.template,
          'meta-category': read.metaCategory,
          Tag: [],
          Attribute: read.attributes.map((attribute) =>
            this.derivedAttribute(attribute, primary.id, base.timestamp, unit.indicator !== undefined),
          ),
          ObjectReference: [],
        }
        if (base.timestamp !== undefined) {
          object.timestamp = base.timestamp
        }
        unit.object = object
        event.Object.push(object)
        return null
      }
      toIds = unit.indicator !== undefined
    } else if (unit.indicator !== undefined) {
      const patternType = asString(unit.indicator.pattern_type) ?? 'stix'
      const pattern = asString(unit.indicator.pattern) ?? ''
      derived =
        patternType === 'stix'
          ? attributeOfPattern(pattern)
          : { type: RULE_TYPES.has(patternType) ? patternType : 'text', relation: 'pattern', value: pattern }
      if (!RULE_TYPES.has(patternType) && patternType !== 'stix') {
        this.problems.push(
          mispProblem(
            'warning',
            primary.id,
            unit.uuid,
            'pattern_type',
            `a ${patternType} pattern is kept as text`,
          ),
        )
      }
      toIds = true
    } else if (unit.sdo?.type === 'vulnerability') {
      derived = { type: 'vulnerability', relation: 'id', value: asString(unit.sdo.name) ?? unit.uuid }
    }
    if (derived === null) {
      this.problems.push(
        mispProblem('warning', primary.id, unit.uuid, 'type', `a ${primary.type} with no MISP form`),
      )
      return null
    }
    const attribute: MispAttribute = {
      uuid: unit.uuid,
      type: derived.type,
      category: base.category ?? defaultCategoryOf(derived.type),
      value: derived.value,
      to_ids: toIds,
      comment: base.comment,
      Tag: base.tags,
      Sighting: [],
      Galaxy: [],
    }
    if (base.timestamp !== undefined) {
      attribute.timestamp = base.timestamp
    }
    if (primary.revoked === true) {
      attribute.deleted = true
    }
    return attribute
  }

  private derivedAttribute(
    derived: DerivedAttribute,
    stixId: string,
    timestamp: string | undefined,
    toIds: boolean,
  ): MispAttribute {
    const attribute: MispAttribute = {
      uuid: uuidV5(MISP_STIX_NAMESPACE, `${stixId} - ${derived.relation} - ${derived.value}`),
      type: derived.type,
      category: defaultCategoryOf(derived.type),
      value: derived.value,
      to_ids: toIds,
      comment: '',
      object_relation: derived.relation,
      Tag: [],
      Sighting: [],
      Galaxy: [],
    }
    if (timestamp !== undefined) {
      attribute.timestamp = timestamp
    }
    if (derived.data !== undefined) {
      attribute.data = derived.data
    }
    return attribute
  }

  private objectOf(unit: Unit, primary: StixObject, labels: readonly string[]): MispObject | null {
    const name = labelValue(labels, 'name') ?? asString(primary.x_misp_name)
    if (name === undefined) {
      this.problems.push(
        mispProblem('error', primary.id, unit.uuid, 'name', 'no misp:name label or x_misp_name'),
      )
      return null
    }
    const object: MispObject = {
      uuid: asString(primary.x_misp_object_uuid) ?? unit.uuid,
      name,
      'meta-category':
        labelValue(labels, 'meta-category') ?? asString(primary.x_misp_meta_category) ?? 'misc',
      Tag: [...asStrings(primary.x_misp_object_tags), ...(this.options.extraTags?.(primary) ?? [])].map(
        (tag) => ({ name: tag }),
      ),
      Attribute: [],
      ObjectReference: [],
    }
    const optional = {
      template_uuid: asString(primary.x_misp_object_template_uuid),
      template_version: asString(primary.x_misp_object_template_version),
      description: asString(primary.x_misp_object_description),
      distribution: asString(primary.x_misp_object_distribution),
      sharing_group_id: asString(primary.x_misp_object_sharing_group_id),
      first_seen: asString(primary.x_misp_object_first_seen),
      last_seen: asString(primary.x_misp_object_last_seen),
      comment: asString(primary.x_misp_object_comment) ?? asString(unit.indicator?.description),
    }
    for (const [key, value] of Object.entries(optional)) {
      if (value !== undefined) {
        Object.assign(object, { [key]: value })
      }
    }
    if (primary.x_misp_object_no_timestamp !== true) {
      const timestamp = unixOfStixTime(primary.modified)
      if (timestamp !== undefined) {
        object.timestamp = timestamp
      }
    }
    if (primary.revoked === true) {
      object.deleted = true
    }
    const entries = asArray(primary.x_misp_attributes)
    if (entries.length > 0) {
      entries.forEach((entry, index) => {
        const attribute = this.entryAttribute(entry, primary.id, index)
        if (attribute !== null) {
          object.Attribute.push(attribute)
        }
      })
    } else if (unit.observed !== undefined) {
      // misp-stix output: the attributes are only in the SCOs.
      const read = attributesOfScos(this.scosOf(unit.observed), (id) => this.get(id))
      for (const derived of read?.attributes ?? []) {
        object.Attribute.push(
          this.derivedAttribute(derived, primary.id, object.timestamp, unit.indicator !== undefined),
        )
      }
    }
    for (const attribute of object.Attribute) {
      this.attributes.set(attribute.uuid, attribute)
    }
    return object
  }

  private entryAttribute(entry: unknown, stixId: string, index: number): MispAttribute | null {
    if (!isRecord(entry)) {
      return null
    }
    const type = asString(entry.type)
    const value = typeof entry.value === 'number' ? String(entry.value) : asString(entry.value)
    if (type === undefined || value === undefined) {
      this.problems.push(
        mispProblem('error', `${stixId}.x_misp_attributes[${index}]`, null, 'type', 'no type or value'),
      )
      return null
    }
    const relation = asString(entry.object_relation)
    const attribute: MispAttribute = {
      uuid: asString(entry.uuid) ?? uuidV5(MISP_STIX_NAMESPACE, `${stixId} - ${relation ?? type} - ${value}`),
      type,
      category: asString(entry.category) ?? defaultCategoryOf(type),
      value,
      to_ids: entry.to_ids === true,
      comment: asString(entry.comment) ?? '',
      Tag: asStrings(entry.tags).map((name) => ({ name })),
      Sighting: [],
      Galaxy: [],
    }
    if (relation !== undefined) {
      attribute.object_relation = relation
    }
    for (const key of [
      'timestamp',
      'distribution',
      'sharing_group_id',
      'first_seen',
      'last_seen',
      'data',
    ] as const) {
      const found = asString(entry[key])
      if (found !== undefined) {
        attribute[key] = found
      }
    }
    if (entry.disable_correlation === true) {
      attribute.disable_correlation = true
    }
    if (entry.deleted === true) {
      attribute.deleted = true
    }
    return attribute
  }

  private linkRelationships(event: MispEvent): void {
    let dropped = 0
    const objectsByUuid = new Map(event.Object.map((object) => [object.uuid, object]))
    for (const relationship of this.relationships) {
      const source = asString(relationship.source_ref) ?? ''
      const target = asString(relationship.target_ref) ?? ''
      const type = asString(relationship.relationship_type) ?? 'related-to'
      const sourceUuid = uuidOfStixId(source)
      const targetUuid = uuidOfStixId(target)
      if (type === 'based-on' && sourceUuid === targetUuid) {
        continue
      }
      const sourceUnit = sourceUuid === null ? undefined : this.units.get(sourceUuid)
      const cluster = this.clusters.get(target)
      if (sourceUnit !== undefined && cluster !== undefined) {
        const attributeUuid = asString(relationship.x_misp_attribute_uuid)
        const attribute =
          attributeUuid === undefined ? sourceUnit.attribute : this.attributes.get(attributeUuid)
        if (attribute !== undefined) {
          addCluster(attribute.Galaxy, cluster)
          if (needsGalaxyTag(cluster)) {
            const tagName = clusterFromStix(cluster).GalaxyCluster[0]?.tag_name
            if (tagName !== undefined && !attribute.Tag.some((tag) => tag.name === tagName)) {
              attribute.Tag.push({ name: tagName })
            }
          }
          continue
        }
      }
      const targetUnit = targetUuid === null ? undefined : this.units.get(targetUuid)
      const sourceObject =
        sourceUnit?.object ?? (sourceUuid === null ? undefined : objectsByUuid.get(sourceUuid))
      const referenced =
        asString(relationship.x_misp_referenced_uuid) ??
        targetUnit?.attribute?.uuid ??
        targetUnit?.object?.uuid
      if (sourceObject !== undefined && referenced !== undefined) {
        const reference: MispObjectReference = {
          uuid: asString(relationship.x_misp_uuid) ?? uuidOfStixId(relationship.id) ?? relationship.id,
          referenced_uuid: referenced,
          relationship_type: asString(relationship.x_misp_relationship_type) ?? type,
        }
        const comment = asString(relationship.description)
        if (comment !== undefined) {
          reference.comment = comment
        }
        const timestamp =
          relationship.x_misp_no_timestamp === true ? undefined : unixOfStixTime(relationship.modified)
        if (timestamp !== undefined) {
          reference.timestamp = timestamp
        }
        sourceObject.ObjectReference.push(reference)
        continue
      }
      dropped++
    }
    if (dropped > 0) {
      this.problems.push(
        mispProblem(
          'warning',
          this.container?.id ?? 'bundle',
          null,
          'relationship',
          `${dropped} relationship(s) between objects MISP cannot link (only object references and galaxies); left out`,
        ),
      )
    }
  }

  private readSightings(): void {
    for (const sighting of this.sightings) {
      const attribute = this.attributeFor(sighting, asString(sighting.sighting_of_ref))
      if (attribute === undefined) {
        continue
      }
      const created: MispSighting = {
        uuid: asString(sighting.x_misp_uuid) ?? uuidOfStixId(sighting.id) ?? sighting.id,
        type: '0',
        date_sighting: unixOfStixTime(sighting.first_seen) ?? unixOfStixTime(sighting.created) ?? '0',
      }
      const source = asString(sighting.description)
      if (source !== undefined) {
        created.source = source
      }
      const organisation = this.organisation(asStrings(sighting.where_sighted_refs)[0])
      if (organisation !== undefined) {
        created.Organisation = organisation
      }
      created.attribute_uuid = attribute.uuid
      attribute.Sighting.push(created)
    }
    // False positives (opinions) and expirations (notes) carry the other sighting types.
    for (const opinion of this.opinions) {
      const type = opinion.x_misp_sighting_type === '2' ? '2' : '1'
      const falsePositive =
        type === '2' ||
        asString(opinion.explanation) === 'False positive Sighting' ||
        asString(opinion.opinion) === 'strongly-disagree'
      if (!falsePositive) {
        this.problems.push(
          mispProblem(
            'warning',
            opinion.id,
            null,
            'opinion',
            'an opinion other than a false positive; left out',
          ),
        )
        continue
      }
      for (const ref of asStrings(opinion.object_refs)) {
        const attribute = this.attributeFor(opinion, ref)
        if (attribute === undefined) {
          continue
        }
        const created: MispSighting = {
          uuid: asString(opinion.x_misp_uuid) ?? uuidOfStixId(opinion.id) ?? opinion.id,
          type,
          date_sighting: unixOfStixTime(opinion.created) ?? '0',
        }
        const source = asString(opinion.x_misp_source)
        if (source !== undefined) {
          created.source = source
        }
        const author = asStrings(opinion.authors)[0]
        const organisation =
          this.organisation(opinion.x_misp_author_ref) ??
          (author === undefined ? undefined : { name: author })
        if (organisation !== undefined) {
          created.Organisation = organisation
        }
        created.attribute_uuid = attribute.uuid
        attribute.Sighting.push(created)
      }
    }
  }

  private attributeFor(about: StixObject, ref: string | undefined): MispAttribute | undefined {
    const uuid = ref === undefined ? null : uuidOfStixId(ref)
    const unit = uuid === null ? undefined : this.units.get(uuid)
    const attributeUuid = asString(about.x_misp_attribute_uuid)
    const attribute =
      attributeUuid !== undefined
        ? this.attributes.get(attributeUuid)
        : (unit?.attribute ?? unit?.object?.Attribute[0])
    if (attribute === undefined) {
      this.problems.push(
        mispProblem(
          'warning',
          about.id,
          null,
          'ref',
          `'${ref ?? ''}' is no attribute of this event; left out`,
        ),
      )
    }
    return attribute
  }

  private eventReports(): MispEventReport[] {
    const reports: MispEventReport[] = []
    const eventUuid = this.container === undefined ? null : uuidOfStixId(this.container.id)
    for (const note of this.notes) {
      const content = asString(note.content) ?? ''
      if (content === EMPTY_EVENT_NOTE && uuidOfStixId(note.id) === eventUuid) {
        continue
      }
      const report: MispEventReport = {
        uuid: uuidOfStixId(note.id) ?? note.id,
        name:
          asString(note.abstract) ?? (asStrings(note.labels).includes(EVENT_REPORT_LABEL) ? '' : 'STIX note'),
        content,
      }
      const distribution = asString(note.x_misp_distribution)
      if (distribution !== undefined) {
        report.distribution = distribution
      }
      const timestamp = unixOfStixTime(note.modified)
      if (timestamp !== undefined) {
        report.timestamp = timestamp
      }
      if (note.revoked === true) {
        report.deleted = true
      }
      reports.push(report)
    }
    return reports
  }

  private eventGalaxies(event: MispEvent): void {
    for (const cluster of this.clusters.values()) {
      if (cluster.x_misp_attribute_galaxy === true) {
        continue
      }
      addCluster(event.Galaxy, cluster)
      if (needsGalaxyTag(cluster)) {
        const tagName = clusterFromStix(cluster).GalaxyCluster[0]?.tag_name
        if (tagName !== undefined && !event.Tag.some((tag) => tag.name === tagName)) {
          event.Tag.push({ name: tagName })
        }
      }
    }
  }

  /** Tags of a set of STIX objects: their labels (without misp-stix's own) then their TLP markings. */
  private tagsOf(objects: readonly StixObject[], container: boolean): MispTag[] {
    const labels = unionLabels(objects)
    const fromMispStix = container && labels.includes(MISP_STIX_TOOL_LABEL)
    const tags: MispTag[] = []
    for (const label of labels) {
      if (isMetaLabel(label) || (fromMispStix && label === 'Threat-Report')) {
        continue
      }
      tags.push({ name: label })
    }
    for (const object of objects) {
      for (const name of this.options.extraTags?.(object) ?? []) {
        if (!tags.some((tag) => tag.name === name)) {
          tags.push({ name })
        }
      }
    }
    const kept = objects.map((object) => object.x_misp_tlp_tags).find((value) => Array.isArray(value))
    if (kept !== undefined) {
      for (const name of asStrings(kept)) {
        tags.push({ name })
      }
      return tags
    }
    let tlps: MispTlp[] = []
    for (const object of objects) {
      for (const ref of asStrings(object.object_marking_refs)) {
        const tlp = this.tlpOfMarking(ref)
        if (tlp !== null && !tlps.includes(tlp)) {
          tlps.push(tlp)
        }
      }
    }
    tlps = TLP_ORDER.filter((tlp) => tlps.includes(tlp))
    for (const tlp of tlps) {
      tags.push({ name: `tlp:${tlp}` })
    }
    return tags
  }

  private tlpOfMarking(id: string): MispTlp | null {
    for (const tlp of TLP_ORDER) {
      if (TLP2_MARKING_IDS[tlp] === id) {
        return tlp
      }
    }
    const tlp1 = TLP1_MARKING_IDS[id]
    if (tlp1 !== undefined) {
      return tlp1
    }
    const marking = this.get(id)
    const extension = isRecord(marking?.extensions) ? marking.extensions[TLP2_EXTENSION_ID] : undefined
    const level = isRecord(extension) ? asString(extension.tlp_2_0) : undefined
    const fromExtension = TLP_ORDER.find((tlp) => tlp === level)
    if (fromExtension !== undefined) {
      return fromExtension
    }
    const definition = isRecord(marking?.definition) ? asString(marking.definition.tlp) : undefined
    if (definition === 'white') {
      return 'clear'
    }
    return TLP_ORDER.find((tlp) => tlp === definition) ?? null
  }

  private organisation(ref: unknown): MispOrg | undefined {
    if (typeof ref !== 'string') {
      return undefined
    }
    const identity = this.get(ref)
    const uuid = uuidOfStixId(ref)
    const name = asString(identity?.name)
    if (uuid === null) {
      return undefined
    }
    return name === undefined ? { uuid } : { uuid, name }
  }

  /** The SCOs an observed-data lists, plus the SCOs they reference (a handful: arrays beat sets here). */
  private scosOf(observed: StixObject): StixObject[] {
    const scos: StixObject[] = []
    const queue = asStrings(observed.object_refs)
    for (let index = 0; index < queue.length; index++) {
      const sco = this.get(queue[index] ?? '')
      if (sco === undefined || scos.includes(sco)) {
        continue
      }
      scos.push(sco)
      for (const ref of referencesOf(sco)) {
        if (!queue.includes(ref) && this.get(ref)?.created === undefined) {
          queue.push(ref)
        }
      }
    }
    return scos
  }
}

const RULE_TYPES: ReadonlySet<string> = new Set(['yara', 'sigma', 'snort', 'suricata'])
const CLUSTER_TYPES: ReadonlySet<string> = new Set([
  'attack-pattern',
  'campaign',
  'course-of-action',
  'intrusion-set',
  'location',
  'malware',
  'threat-actor',
  'tool',
])

function orgOf(value: unknown): MispOrg | undefined {
  if (!isRecord(value)) {
    return undefined
  }
  const org: MispOrg = {}
  const uuid = asString(value.uuid)
  const name = asString(value.name)
  if (uuid !== undefined) {
    org.uuid = uuid
  }
  if (name !== undefined) {
    org.name = name
  }
  return org
}

function isClusterType(type: string): boolean {
  return CLUSTER_TYPES.has(type)
}

function referencesOf(object: StixObject): string[] {
  const refs: string[] = []
  for (const key in object) {
    if (key === 'created_by_ref' || key === 'object_marking_refs') {
      continue
    }
    const value = object[key]
    if (key.endsWith('_ref')) {
      if (typeof value === 'string') {
        refs.push(value)
      }
    } else if (key.endsWith('_refs')) {
      for (const ref of asArray(value)) {
        if (typeof ref === 'string') {
          refs.push(ref)
        }
      }
    } else if (key === 'body_multipart') {
      for (const part of asArray(value)) {
        if (isRecord(part) && typeof part.body_raw_ref === 'string') {
          refs.push(part.body_raw_ref)
        }
      }
    }
  }
  return refs
}

function labelValue(labels: readonly string[], key: string): string | undefined {
  const prefix = `misp:${key}="`
  for (const label of labels) {
    if (label.startsWith(prefix) && label.endsWith('"')) {
      return label.slice(prefix.length, -1)
    }
  }
  return undefined
}

function isMetaLabel(label: string): boolean {
  if (!label.startsWith('misp:')) {
    return false
  }
  if (label === MISP_STIX_TOOL_LABEL) {
    return true
  }
  const match = MISP_LABEL_RE.exec(label)
  return match?.[1] !== undefined && META_LABELS.has(match[1])
}

function unionLabels(objects: readonly StixObject[]): string[] {
  const [first, ...rest] = objects
  const labels = asStrings(first?.labels)
  // Objects of one attribute share their labels: an include scan is all the union needs.
  for (const object of rest) {
    for (const label of asStrings(object.labels)) {
      if (!labels.includes(label)) {
        labels.push(label)
      }
    }
  }
  return labels
}

function killChainCategory(indicator: StixObject | undefined): string | undefined {
  for (const phase of asArray(indicator?.kill_chain_phases)) {
    if (isRecord(phase) && phase.kill_chain_name === 'misp-category') {
      return asString(phase.phase_name)
    }
  }
  return undefined
}

function addCluster(galaxies: MispGalaxy[], sdo: StixObject): void {
  const read = clusterFromStix(sdo)
  const cluster: MispGalaxyCluster | undefined = read.GalaxyCluster[0]
  if (cluster === undefined) {
    return
  }
  const galaxy = galaxies.find((known) => known.uuid === read.uuid)
  if (galaxy === undefined) {
    galaxies.push(read)
    return
  }
  if (!galaxy.GalaxyCluster.some((known) => known.uuid === cluster.uuid && known.value === cluster.value)) {
    galaxy.GalaxyCluster.push(cluster)
  }
}

/**
 * The event as written out: `deleted` stated on every attribute and object, and `disable_correlation`
 * on every attribute, false where the model leaves them out (it holds them only when true): the MISP
 * format makes `deleted` a MUST, and MISP itself writes both.
 */
function withStatedFlags(event: MispEvent): MispEvent {
  const stated = <T extends { deleted?: boolean; disable_correlation?: boolean }>(attribute: T): T => ({
    ...attribute,
    deleted: attribute.deleted ?? false,
    disable_correlation: attribute.disable_correlation ?? false,
  })
  return {
    ...event,
    Attribute: event.Attribute.map(stated),
    ...(event.Object === undefined
      ? {}
      : {
          Object: event.Object.map((object) => ({
            ...object,
            deleted: object.deleted ?? false,
            Attribute: object.Attribute.map(stated),
          })),
        }),
  }
}

function toJson(value: unknown): JsonValue | undefined {
  if (value === undefined) {
    return undefined
  }
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  ) {
    return value
  }
  if (Array.isArray(value)) {
    return value.map((item) => toJson(item) ?? null)
  }
  if (isRecord(value)) {
    return jsonRecord(value)
  }
  return undefined
}

function jsonRecord(value: Record<string, unknown>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {}
  for (const [key, entry] of Object.entries(value)) {
    const json = toJson(entry)
    if (json !== undefined) {
      out[key] = json
    }
  }
  return out
}

/** The strictest TLP level the tags set, or null when none does. */
function strictestTagTlp(tags: readonly MispTag[]): MispTlp | null {
  let strictest: MispTlp | null = null
  for (const tag of tags) {
    const tlp = tlpOfTag(tag.name)
    if (tlp !== null && (strictest === null || TLP_ORDER.indexOf(tlp) > TLP_ORDER.indexOf(strictest))) {
      strictest = tlp
    }
  }
  return strictest
}
