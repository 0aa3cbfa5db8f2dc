import { mapAttributeValue, valueFromObservable, valueFromPattern } from './attribute-stix.js'
import { clusterToStix } from './galaxy-stix.js'
import {
  DISTRIBUTION_AUDIENCE,
  TLP2_MARKING_IDS,
  TLP_ORDER,
  mispProblem,
  narrowerAudience,
  stricterTlp,
  tlpOfTag,
  type MispAttribute,
  type MispAudience,
  type MispEvent,
  type MispEventReport,
  type MispGalaxy,
  type MispGalaxyCluster,
  type MispObject,
  type MispProblem,
  type MispSighting,
  type MispTag,
  type MispTlp,
  type StixObject,
} from './misp.js'
import { mapMispObject } from './object-stix.js'
import { stixTimeOfIso, stixTimeOfUnix, wholeSeconds } from './util.js'
import { MISP_STIX_NAMESPACE, isUuid, uuidV5 } from './uuid.js'

/** What {@link mispEventToStix} produced. */
export interface MispToStixResult {
  /** Identities, TLP marking definitions, the report (or grouping), then its content. */
  objects: StixObject[]
  /** Strictest TLP of the event's own `tlp:` tags (`tlp:white` → `clear`), or null. */
  tlp: MispTlp | null
  /** Audience of the event's distribution, or null when it has none. */
  audience: MispAudience | null
  /** Objects whose own distribution is narrower than the event's, by STIX id, with that audience. */
  narrowerAudiences: Record<string, MispAudience>
  problems: MispProblem[]
}

/** Property-extension of the TLP 2.0 marking definitions (stix21.md §9.4). */
export const TLP2_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d'

/** Content of the note misp-stix adds so that an empty event still has `object_refs`. */
export const EMPTY_EVENT_NOTE = 'This MISP Event is empty and contains no attribute, object, galaxy or tag.'

/** Label of the notes that carry event reports. */
export const EVENT_REPORT_LABEL = 'misp:data-layer="Event Report"'

const INDICATES_TARGETS: ReadonlySet<string> = new Set([
  'attack-pattern',
  'campaign',
  'infrastructure',
  'intrusion-set',
  'malware',
  'threat-actor',
  'tool',
])
const RELATIONSHIP_UNSAFE_RE = /[^a-z0-9-]+/g
const EDGE_DASHES_RE = /^-+|-+$/g
const DIGITS_RE = /^\d+$/

/** The TLP 2.0 marking definition of a level, as the OASIS CTI TC publishes it. */
export function tlpMarkingDefinition(tlp: MispTlp): StixObject {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP2_MARKING_IDS[tlp],
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${tlp.toUpperCase()}`,
    extensions: { [TLP2_EXTENSION_ID]: { extension_type: 'property-extension', tlp_2_0: tlp } },
  }
}

/**
 * Maps one MISP event to STIX 2.1 the way misp-stix does: the event becomes a `report` (published) or a
 * `grouping`, each attribute an `observed-data` with its SCOs and, when `to_ids`, an `indicator` with a
 * `based-on` relationship; objects, galaxies, sightings and event reports follow. STIX ids reuse the MISP
 * uuids (`indicator--<attribute uuid>`, `report--<event uuid>`), and `x_misp_*` properties keep what
 * the way back needs. Pure and deterministic.
 *
 * @example
 * const { objects, tlp, audience, problems } = mispEventToStix(event)
 * // tlp: 'amber' for a `tlp:amber` event tag, audience: 'community' for distribution 1
 */
export function mispEventToStix(event: MispEvent): MispToStixResult {
  const steps = mispEventToStixSteps(event)
  for (;;) {
    const next = steps.next()
    if (next.done === true) {
      return next.value
    }
  }
}

/** Attributes and MISP objects mapped between two steps of {@link mispEventToStixSteps}. */
export const MAP_STEP = 2000

/**
 * {@link mispEventToStix} in steps, for callers that let other work run between them (a server
 * mapping a 300,000-attribute event would otherwise answer nothing else for seconds): yields how many
 * of the event's attributes and objects ({@link mispItemCount}) are mapped, every {@link MAP_STEP},
 * and returns the mapping.
 */
export function mispEventToStixSteps(event: MispEvent): Generator<number, MispToStixResult> {
  return new StixWriter(event).steps()
}

/** What {@link mispEventToStixSteps} counts: the event's attributes and its objects. */
export function mispItemCount(event: MispEvent): number {
  return event.Attribute.length + event.Object.length
}

/** The tagging of an untagged element, shared because most attributes have no tags. */
const NO_TAGS: Tagging = Object.freeze({
  labels: [],
  markingRefs: [],
  tlp: null,
  tlpTagNames: null,
  names: [],
})

interface Tagging {
  labels: string[]
  markingRefs: string[]
  tlp: MispTlp | null
  /** Every TLP tag name, kept when one of them is not the canonical `tlp:<level>` spelling. */
  tlpTagNames: string[] | null
  /** Names of the exported tags (all but local ones). */
  names: string[]
}

/** Where the STIX form of an attribute or object is, for references, sightings and galaxies. */
interface Target {
  primary: string
  indicator: string | null
  markingRefs: string[]
  audience: MispAudience | null
  /** Set for attributes inside an object: their STIX objects are the object's. */
  inObject: boolean
}

class StixWriter {
  private readonly content: StixObject[] = []
  private readonly refs: string[] = []
  private readonly ids = new Set<string>()
  private readonly identities = new Map<string, StixObject>()
  private readonly tlpsUsed = new Set<MispTlp>()
  private readonly problems: MispProblem[] = []
  private readonly targets = new Map<string, Target>()
  private readonly objectTargets = new Map<MispObject, Target>()
  private readonly claimed = new Set<string>()
  private readonly claimedReports = new Set<string>()
  /** Targets are only looked up for event-level sightings and object references. */
  private readonly needTargets: boolean
  private readonly clusters = new Map<string, StixObject>()
  private readonly clusterValues = new Map<string, string>()
  private readonly narrower: Record<string, MispAudience> = {}
  private readonly eventUuid: string
  private readonly eventTime: string
  private readonly eventCreated: string
  private readonly eventAudience: MispAudience | null
  private readonly createdBy: string | undefined

  constructor(private readonly event: MispEvent) {
    this.eventUuid = isUuid(event.uuid)
      ? event.uuid
      : uuidV5(MISP_STIX_NAMESPACE, `event - ${event.info} - ${event.date} - ${event.timestamp ?? ''}`)
    if (this.eventUuid !== event.uuid) {
      this.problems.push(
        mispProblem(
          'error',
          'Event',
          event.uuid,
          'uuid',
          `not a UUID; STIX ids use ${this.eventUuid} instead`,
        ),
      )
    }
    this.needTargets =
      event.Sighting.length > 0 || event.Object.some((object) => object.ObjectReference.length > 0)
    this.eventTime = event.timestamp ?? this.unixOfDate(event.date)
    this.eventCreated = stixTimeOfUnix(this.eventTime)
    this.eventAudience =
      event.distribution === undefined ? null : (DISTRIBUTION_AUDIENCE[event.distribution] ?? null)
    const orgc = event.Orgc
    if (orgc?.uuid !== undefined && isUuid(orgc.uuid)) {
      this.createdBy = this.identity(orgc.uuid, orgc.name ?? orgc.uuid)
    } else if (event.collection === true) {
      // A collection has no creator to name (misp-stix names none either).
      this.createdBy = undefined
    } else {
      this.problems.push(
        mispProblem(
          'warning',
          'Event',
          event.uuid,
          'Orgc',
          'no creator organisation uuid; objects have no created_by_ref',
        ),
      )
    }
  }

  *steps(): Generator<number, MispToStixResult> {
    const event = this.event
    const eventTagging = this.tagging(event.Tag, 'Event', event.uuid)
    event.Galaxy.forEach((galaxy, galaxyIndex) => {
      galaxy.GalaxyCluster.forEach((cluster, clusterIndex) => {
        this.cluster(galaxy, cluster, `Galaxy[${galaxyIndex}].GalaxyCluster[${clusterIndex}]`, false)
      })
    })
    let mapped = 0
    for (let index = 0; index < event.Attribute.length; index++) {
      this.attribute(event.Attribute[index] as MispAttribute, `Attribute[${index}]`)
      if (++mapped % MAP_STEP === 0) {
        yield mapped
      }
    }
    for (let index = 0; index < event.Object.length; index++) {
      this.object(event.Object[index] as MispObject, `Object[${index}]`)
      if (++mapped % MAP_STEP === 0) {
        yield mapped
      }
    }
    event.Object.forEach((object, index) => {
      this.objectReferences(object, `Object[${index}]`)
    })
    event.Sighting.forEach((sighting, index) => {
      const path = `Sighting[${index}]`
      const target =
        sighting.attribute_uuid === undefined ? undefined : this.targets.get(sighting.attribute_uuid)
      if (sighting.attribute_uuid === undefined || target === undefined) {
        this.problems.push(
          mispProblem(
            'warning',
            path,
            sighting.uuid,
            'attribute_uuid',
            'names no attribute of this event; dropped',
          ),
        )
        return
      }
      this.sighting(sighting, target, sighting.attribute_uuid, path, index)
    })
    const markings = TLP_ORDER.filter((tlp) => this.tlpsUsed.has(tlp)).map(tlpMarkingDefinition)
    if (event.collection === true) {
      // Elements of no event: their STIX objects alone.
      return {
        objects: [...this.identities.values(), ...markings, ...this.content],
        tlp: eventTagging.tlp,
        audience: this.eventAudience,
        narrowerAudiences: this.narrower,
        problems: this.problems,
      }
    }
    const reportId = `${event.published ? 'report' : 'grouping'}--${this.eventUuid}`
    event.EventReport?.forEach((report, index) => {
      this.eventReport(report, reportId, `EventReport[${index}]`)
    })
    if (this.refs.length === 0) {
      this.emit({
        type: 'note',
        spec_version: '2.1',
        id: `note--${this.eventUuid}`,
        ...this.creator(),
        created: this.eventCreated,
        modified: this.eventCreated,
        content: EMPTY_EVENT_NOTE,
        object_refs: [reportId],
      })
    }
    const report = this.report(reportId, eventTagging)
    return {
      objects: [...this.identities.values(), ...markings, report, ...this.content],
      tlp: eventTagging.tlp,
      audience: this.eventAudience,
      narrowerAudiences: this.narrower,
      problems: this.problems,
    }
  }

  private report(id: string, tagging: Tagging): StixObject {
    const event = this.event
    const report: StixObject = {
      type: event.published ? 'report' : 'grouping',
      spec_version: '2.1',
      id,
      ...this.creator(),
      created: this.eventCreated,
      modified: this.eventCreated,
      name: event.info === '' ? `MISP event ${this.eventUuid}` : event.info,
    }
    if (event.published) {
      const publishTime = event.publish_timestamp
      report.report_types = ['threat-report']
      report.published =
        publishTime !== undefined && publishTime !== '0' ? stixTimeOfUnix(publishTime) : this.eventCreated
    } else {
      report.context = 'suspicious-activity'
    }
    report.object_refs = this.refs
    if (tagging.labels.length > 0) {
      report.labels = tagging.labels
    }
    if (tagging.markingRefs.length > 0) {
      report.object_marking_refs = tagging.markingRefs
    }
    if (event.info === '') {
      report.x_misp_info = ''
    }
    if (this.eventUuid !== event.uuid && event.uuid !== '') {
      report.x_misp_uuid = event.uuid
    }
    report.x_misp_date = event.date
    if (this.createdBy === undefined && event.Orgc !== undefined) {
      report.x_misp_orgc = { ...event.Orgc }
    }
    const optional = {
      x_misp_threat_level_id: event.threat_level_id,
      x_misp_analysis: event.analysis,
      x_misp_distribution: event.distribution,
      x_misp_sharing_group_id: event.sharing_group_id,
      x_misp_publish_timestamp: event.publish_timestamp,
      x_misp_extends_uuid: event.extends_uuid,
    }
    for (const [key, value] of Object.entries(optional)) {
      if (value !== undefined) {
        report[key] = value
      }
    }
    if (event.timestamp === undefined) {
      report.x_misp_no_timestamp = true
    }
    if (tagging.tlpTagNames !== null) {
      report.x_misp_tlp_tags = tagging.tlpTagNames
    }
    return report
  }

  private attribute(attribute: MispAttribute, path: string): void {
    const uuid = this.safeUuid(attribute.uuid, path)
    const time = stixTimeOfUnix(attribute.timestamp ?? this.eventTime)
    const tagging = this.tagging(attribute.Tag, path, attribute.uuid)
    const labels = [
      `misp:type="${attribute.type}"`,
      `misp:category="${attribute.category}"`,
      ...tagging.labels,
    ]
    const audience = this.ownAudience(attribute.distribution)
    const extras = this.attributeExtras(attribute, uuid, tagging)
    const mapping = mapAttributeValue(attribute.type, attribute.value, uuid, attribute.data, attribute.to_ids)
    const firstSeen = seenTime(attribute.first_seen)
    const lastSeen = seenTime(attribute.last_seen)
    const base = (type: string): StixObject => this.base(type, uuid, time)
    const finish = (object: StixObject, extraLabels: string[] = []): StixObject => {
      object.labels = extraLabels.length === 0 ? labels.slice() : [...labels, ...extraLabels]
      this.mark(object, tagging.markingRefs, attribute.deleted)
      return object
    }
    let primary: string
    let indicator: string | null = null
    switch (mapping.kind) {
      case 'observable': {
        const observed = base('observed-data')
        const first = firstSeen ?? wholeSeconds(time)
        observed.first_observed = first
        observed.last_observed = lastSeen !== null && lastSeen >= first ? lastSeen : first
        observed.number_observed = 1
        observed.object_refs = mapping.scos.map((sco) => sco.id)
        finish(observed)
        if (attribute.comment !== '') {
          observed.x_misp_comment = attribute.comment
        }
        Object.assign(observed, extras)
        const back = valueFromObservable(attribute.type, mapping.scos)
        if (back?.value !== attribute.value) {
          observed.x_misp_value = attribute.value
        }
        if (attribute.data !== undefined && back?.data !== attribute.data) {
          observed.x_misp_data = attribute.data
        }
        this.emit(observed, audience)
        for (const sco of mapping.scos) {
          this.mark(sco, tagging.markingRefs, false)
          if (attribute.disable_correlation === true) {
            // The attribute's own observables (their ids are its uuid's): not correlated, as in MISP.
            sco.x_misp_disable_correlation = true
          }
          this.emit(sco, audience)
        }
        primary = observed.id
        if (attribute.to_ids) {
          const created = this.indicator(
            base('indicator'),
            attribute,
            mapping.pattern,
            'stix',
            firstSeen,
            lastSeen,
          )
          finish(created)
          this.emit(created, audience)
          indicator = created.id
          this.emit(
            this.relationship(indicator, 'based-on', primary, time, tagging.markingRefs),
            audience,
            true,
          )
        }
        break
      }
      case 'pattern': {
        const created = this.indicator(
          base('indicator'),
          attribute,
          mapping.pattern,
          mapping.patternType,
          firstSeen,
          lastSeen,
        )
        finish(created)
        Object.assign(created, extras)
        if (valueFromPattern(attribute.type, mapping.pattern, mapping.patternType) !== attribute.value) {
          created.x_misp_value = attribute.value
        }
        this.emit(created, audience)
        primary = created.id
        indicator = created.id
        break
      }
      case 'sdo': {
        const sdo = base(mapping.type)
        Object.assign(sdo, mapping.props)
        if (attribute.comment !== '') {
          sdo.x_misp_comment = attribute.comment
        }
        finish(sdo, attribute.to_ids ? ['misp:to_ids="True"'] : [])
        Object.assign(sdo, extras)
        this.emit(sdo, audience)
        primary = sdo.id
        break
      }
      case 'custom': {
        const custom = base('x-misp-attribute')
        finish(custom, attribute.to_ids ? ['misp:to_ids="True"'] : [])
        custom.x_misp_type = attribute.type
        custom.x_misp_value = attribute.value
        custom.x_misp_category = attribute.category
        if (attribute.comment !== '') {
          custom.x_misp_comment = attribute.comment
        }
        if (attribute.data !== undefined) {
          custom.x_misp_data = attribute.data
        }
        Object.assign(custom, extras)
        this.emit(custom, audience)
        primary = custom.id
        break
      }
    }
    if (this.needTargets || attribute.Galaxy.length > 0 || attribute.Sighting.length > 0) {
      const target: Target = {
        primary,
        indicator,
        markingRefs: tagging.markingRefs,
        audience,
        inObject: false,
      }
      this.register(attribute.uuid, uuid, target)
      this.attributeGalaxiesAndSightings(attribute, target, path, time)
    }
  }

  private indicator(
    indicator: StixObject,
    attribute: MispAttribute,
    pattern: string,
    patternType: string,
    firstSeen: string | null,
    lastSeen: string | null,
  ): StixObject {
    if (attribute.comment !== '') {
      indicator.description = attribute.comment
    }
    indicator.pattern = pattern
    indicator.pattern_type = patternType
    indicator.pattern_version = '2.1'
    const validFrom = firstSeen ?? wholeSeconds(String(indicator.created))
    indicator.valid_from = validFrom
    if (lastSeen !== null && lastSeen > validFrom) {
      indicator.valid_until = lastSeen
    }
    indicator.kill_chain_phases = [{ kill_chain_name: 'misp-category', phase_name: attribute.category }]
    return indicator
  }

  private attributeExtras(attribute: MispAttribute, uuid: string, tagging: Tagging): Record<string, unknown> {
    const extras: Record<string, unknown> = {}
    if (uuid !== attribute.uuid && attribute.uuid !== '') {
      extras.x_misp_uuid = attribute.uuid
    }
    if (attribute.distribution !== undefined) {
      extras.x_misp_distribution = attribute.distribution
    }
    if (attribute.sharing_group_id !== undefined) {
      extras.x_misp_sharing_group_id = attribute.sharing_group_id
    }
    if (attribute.timestamp === undefined) {
      extras.x_misp_no_timestamp = true
    }
    if (attribute.first_seen !== undefined) {
      extras.x_misp_first_seen = attribute.first_seen
    }
    if (attribute.last_seen !== undefined) {
      extras.x_misp_last_seen = attribute.last_seen
    }
    if (attribute.disable_correlation === true) {
      extras.x_misp_disable_correlation = true
    }
    if (tagging.tlpTagNames !== null) {
      extras.x_misp_tlp_tags = tagging.tlpTagNames
    }
    return extras
  }

  private attributeGalaxiesAndSightings(
    attribute: MispAttribute,
    target: Target,
    path: string,
    time: string,
    objectAttributeUuid?: string,
  ): void {
    attribute.Galaxy.forEach((galaxy, galaxyIndex) => {
      galaxy.GalaxyCluster.forEach((cluster, clusterIndex) => {
        const clusterId = this.cluster(
          galaxy,
          cluster,
          `${path}.Galaxy[${galaxyIndex}].GalaxyCluster[${clusterIndex}]`,
          true,
        )
        if (clusterId === null) {
          return
        }
        const source = target.indicator ?? target.primary
        const sourceType = source.slice(0, source.indexOf('--'))
        const targetType = clusterId.slice(0, clusterId.indexOf('--'))
        const type =
          sourceType === 'indicator' && INDICATES_TARGETS.has(targetType) ? 'indicates' : 'related-to'
        const relationship = this.relationship(source, type, clusterId, time, target.markingRefs)
        if (objectAttributeUuid !== undefined) {
          relationship.id = `relationship--${uuidV5(MISP_STIX_NAMESPACE, `${objectAttributeUuid} - ${type} - ${clusterId}`)}`
          relationship.x_misp_attribute_uuid = objectAttributeUuid
        }
        this.emit(relationship, target.audience, true)
      })
    })
    attribute.Sighting.forEach((sighting, index) => {
      this.sighting(sighting, target, attribute.uuid, `${path}.Sighting[${index}]`, index)
    })
  }

  private object(object: MispObject, path: string): void {
    const uuid = this.safeUuid(object.uuid, path)
    const time = stixTimeOfUnix(object.timestamp ?? this.eventTime)
    const attributeUuids = object.Attribute.map((attribute, index) =>
      this.safeUuid(attribute.uuid, `${path}.Attribute[${index}]`),
    )
    const objectTagging = this.tagging(object.Tag, path, object.uuid)
    const labels = [`misp:name="${object.name}"`, `misp:meta-category="${object['meta-category']}"`]
    const markingRefs = new Set(objectTagging.markingRefs)
    const seenLabels = new Set<string>()
    const entries = object.Attribute.map((attribute, index) => {
      const tagging = this.tagging(attribute.Tag, `${path}.Attribute[${index}]`, attribute.uuid)
      for (const ref of tagging.markingRefs) {
        markingRefs.add(ref)
      }
      for (const label of tagging.labels) {
        seenLabels.add(label)
      }
      return attributeEntry(attribute, attributeUuids[index] ?? uuid, tagging)
    })
    labels.push(
      ...objectTagging.labels,
      ...[...seenLabels].filter((label) => !objectTagging.labels.includes(label)),
    )
    const refs = [...markingRefs]
    const audience = this.ownAudience([object.distribution, ...object.Attribute.map((a) => a.distribution)])
    const meta: Record<string, unknown> = { x_misp_attributes: entries }
    if (uuid !== object.uuid && object.uuid !== '') {
      meta.x_misp_object_uuid = object.uuid
    }
    const optional = {
      x_misp_object_template_uuid: object.template_uuid,
      x_misp_object_template_version: object.template_version,
      x_misp_object_description: object.description,
      x_misp_object_comment: object.comment,
      x_misp_object_distribution: object.distribution,
      x_misp_object_sharing_group_id: object.sharing_group_id,
      x_misp_object_first_seen: object.first_seen,
      x_misp_object_last_seen: object.last_seen,
    }
    for (const [key, value] of Object.entries(optional)) {
      if (value !== undefined) {
        meta[key] = value
      }
    }
    if (object.timestamp === undefined) {
      meta.x_misp_object_no_timestamp = true
    }
    if (objectTagging.names.length > 0) {
      meta.x_misp_object_tags = objectTagging.names
    }
    const base = (type: string): StixObject => this.base(type, uuid, time)
    const finish = (created: StixObject): StixObject => {
      created.labels = [...labels]
      this.mark(created, refs, object.deleted)
      return created
    }
    const mapped = mapMispObject(object, uuid, attributeUuids)
    let primary: string
    let indicator: string | null = null
    if (mapped?.kind === 'observable') {
      const observed = base('observed-data')
      const first = seenTime(object.first_seen) ?? wholeSeconds(time)
      const last = seenTime(object.last_seen)
      observed.first_observed = first
      observed.last_observed = last !== null && last >= first ? last : first
      observed.number_observed = 1
      observed.object_refs = mapped.scos.map((sco) => sco.id)
      finish(observed)
      Object.assign(observed, meta)
      this.emit(observed, audience)
      for (const sco of mapped.scos) {
        this.mark(sco, refs, false)
        this.emit(sco, audience)
      }
      primary = observed.id
      if (mapped.comparisons.length > 0) {
        const created = base('indicator')
        if (object.comment !== undefined && object.comment !== '') {
          created.description = object.comment
        }
        created.pattern = `[${mapped.comparisons.join(' AND ')}]`
        created.pattern_type = 'stix'
        created.pattern_version = '2.1'
        created.valid_from = first
        created.kill_chain_phases = [
          { kill_chain_name: 'misp-category', phase_name: object['meta-category'] },
        ]
        finish(created)
        this.emit(created, audience)
        indicator = created.id
        this.emit(this.relationship(indicator, 'based-on', primary, time, refs), audience, true)
      }
    } else if (mapped?.kind === 'sdo') {
      const sdo = base(mapped.type)
      Object.assign(sdo, mapped.props)
      finish(sdo)
      Object.assign(sdo, meta)
      this.emit(sdo, audience)
      primary = sdo.id
    } else {
      const custom = base('x-misp-object')
      finish(custom)
      custom.x_misp_name = object.name
      custom.x_misp_meta_category = object['meta-category']
      Object.assign(custom, meta)
      this.emit(custom, audience)
      primary = custom.id
      this.objectAttributeIndicators(object, attributeUuids, custom.id, refs, audience, time)
    }
    const target: Target = { primary, indicator, markingRefs: refs, audience, inObject: false }
    this.register(object.uuid, uuid, target)
    this.objectTargets.set(object, target)
    object.Attribute.forEach((attribute, index) => {
      const attributeTarget: Target = { ...target, inObject: true }
      const attributeUuid = attributeUuids[index] ?? uuid
      this.register(attribute.uuid, attributeUuid, attributeTarget)
      this.attributeGalaxiesAndSightings(
        attribute,
        attributeTarget,
        `${path}.Attribute[${index}]`,
        time,
        attribute.uuid === '' ? attributeUuid : attribute.uuid,
      )
    })
  }

  /**
   * Indicators for the `to_ids` attributes of an object whose template has no STIX mapping, so that
   * their values (section hashes, whois domains…) still reach detection. `x_misp_object_ref` ties each
   * to the object, which alone carries the attributes back to MISP.
   */
  private objectAttributeIndicators(
    object: MispObject,
    attributeUuids: readonly string[],
    objectId: string,
    markingRefs: string[],
    audience: MispAudience | null,
    time: string,
  ): void {
    object.Attribute.forEach((attribute, index) => {
      const uuid = attributeUuids[index]
      if (!attribute.to_ids || uuid === undefined) {
        return
      }
      const mapping = mapAttributeValue(attribute.type, attribute.value, uuid, attribute.data, true)
      if (mapping.kind !== 'observable' && mapping.kind !== 'pattern') {
        return
      }
      const patternType = mapping.kind === 'pattern' ? mapping.patternType : 'stix'
      const created = this.indicator(
        this.base('indicator', uuid, time),
        attribute,
        mapping.pattern,
        patternType,
        null,
        null,
      )
      created.labels = [`misp:type="${attribute.type}"`, `misp:category="${attribute.category}"`]
      created.x_misp_object_ref = objectId
      this.mark(created, markingRefs, attribute.deleted)
      this.emit(created, audience)
    })
  }

  private objectReferences(object: MispObject, path: string): void {
    const source = this.objectTargets.get(object)
    if (source === undefined) {
      return
    }
    const time = stixTimeOfUnix(object.timestamp ?? this.eventTime)
    object.ObjectReference.forEach((reference, index) => {
      const referencePath = `${path}.ObjectReference[${index}]`
      const target = this.targets.get(reference.referenced_uuid)
      if (target === undefined) {
        this.problems.push(
          mispProblem(
            'warning',
            referencePath,
            reference.uuid,
            'referenced_uuid',
            `'${reference.referenced_uuid}' is not an attribute or object of this event; reference dropped`,
          ),
        )
        return
      }
      const type = relationshipType(reference.relationship_type)
      const relationship = this.relationship(source.primary, type, target.primary, time, source.markingRefs)
      if (reference.uuid !== undefined && isUuid(reference.uuid)) {
        relationship.id = `relationship--${reference.uuid}`
      } else {
        relationship.id = `relationship--${uuidV5(MISP_STIX_NAMESPACE, `${object.uuid} - ${type} - ${reference.referenced_uuid}`)}`
        if (reference.uuid !== undefined) {
          relationship.x_misp_uuid = reference.uuid
        }
      }
      if (reference.timestamp !== undefined && DIGITS_RE.test(reference.timestamp)) {
        relationship.created = stixTimeOfUnix(reference.timestamp)
        relationship.modified = relationship.created
      } else {
        relationship.x_misp_no_timestamp = true
      }
      if (reference.comment !== undefined && reference.comment !== '') {
        relationship.description = reference.comment
      }
      if (type !== reference.relationship_type) {
        relationship.x_misp_relationship_type = reference.relationship_type
      }
      relationship.x_misp_referenced_uuid = reference.referenced_uuid
      this.emit(relationship, narrowerAudience(source.audience, target.audience), true)
    })
  }

  private cluster(
    galaxy: MispGalaxy,
    cluster: MispGalaxyCluster,
    path: string,
    attributeLevel: boolean,
  ): string | null {
    const derived = uuidV5(MISP_STIX_NAMESPACE, `cluster - ${galaxy.type} - ${cluster.value}`)
    let uuid = isUuid(cluster.uuid) ? cluster.uuid : derived
    if (uuid !== cluster.uuid) {
      this.problems.push(
        mispProblem('warning', path, cluster.uuid, 'uuid', `not a UUID; the SDO uses ${uuid}`),
      )
    }
    const owner = this.clusterValues.get(uuid)
    if (owner !== undefined && owner !== `${galaxy.type}/${cluster.value}`) {
      this.problems.push(
        mispProblem(
          'warning',
          path,
          cluster.uuid,
          'uuid',
          `also the uuid of cluster '${owner}'; the SDO uses ${derived}`,
        ),
      )
      uuid = derived
    }
    this.clusterValues.set(uuid, `${galaxy.type}/${cluster.value}`)
    const sdo = clusterToStix(galaxy, cluster, uuid, { created: this.eventCreated, ...this.creator() })
    if (uuid !== cluster.uuid && isUuid(cluster.uuid)) {
      sdo.x_misp_cluster_uuid = cluster.uuid
    }
    const existing = this.clusters.get(sdo.id)
    if (existing !== undefined) {
      if (!attributeLevel) {
        delete existing.x_misp_attribute_galaxy
      }
      return existing.id
    }
    if (attributeLevel) {
      sdo.x_misp_attribute_galaxy = true
    }
    if (!this.emit(sdo, null, true)) {
      return null
    }
    this.clusters.set(sdo.id, sdo)
    return sdo.id
  }

  private sighting(
    sighting: MispSighting,
    target: Target,
    attributeUuid: string,
    path: string,
    index: number,
  ): void {
    const ref = target.indicator ?? target.primary
    const uuid =
      sighting.uuid !== undefined && isUuid(sighting.uuid)
        ? sighting.uuid
        : uuidV5(MISP_STIX_NAMESPACE, `${attributeUuid} - sighting - ${index} - ${sighting.date_sighting}`)
    if (sighting.uuid !== undefined && sighting.uuid !== uuid) {
      this.problems.push(
        mispProblem('warning', path, sighting.uuid, 'uuid', `not a UUID; the STIX id uses ${uuid}`),
      )
    }
    const time = stixTimeOfUnix(sighting.date_sighting)
    const organisation = sighting.Organisation
    let identityId: string | null = null
    if (organisation !== undefined) {
      const orgUuid =
        organisation.uuid !== undefined && isUuid(organisation.uuid)
          ? organisation.uuid
          : uuidV5(MISP_STIX_NAMESPACE, `organisation - ${organisation.name ?? ''}`)
      identityId = this.identity(orgUuid, organisation.name ?? orgUuid)
    }
    const created = sightingObject(sighting, uuid, ref, time, identityId)
    if (sighting.uuid !== undefined && sighting.uuid !== uuid) {
      created.x_misp_uuid = sighting.uuid
    }
    if (target.inObject) {
      created.x_misp_attribute_uuid = attributeUuid
    }
    this.mark(created, target.markingRefs, false)
    this.emit(created, target.audience, true)
  }

  private eventReport(report: MispEventReport, reportId: string, path: string): void {
    const uuid = this.safeUuid(report.uuid, path, this.claimedReports)
    const time = stixTimeOfUnix(report.timestamp ?? this.eventTime)
    const note: StixObject = {
      type: 'note',
      spec_version: '2.1',
      id: `note--${uuid}`,
      ...this.creator(),
      created: time,
      modified: time,
      content: report.content,
      object_refs: [reportId],
      labels: [EVENT_REPORT_LABEL],
    }
    if (report.name !== '') {
      note.abstract = report.name
    }
    if (report.distribution !== undefined) {
      note.x_misp_distribution = report.distribution
    }
    if (report.deleted === true) {
      note.revoked = true
    }
    this.emit(note, this.ownAudience([report.distribution]), true)
  }

  private relationship(
    source: string,
    type: string,
    target: string,
    time: string,
    markings: string[],
  ): StixObject {
    const relationship: StixObject = {
      type: 'relationship',
      spec_version: '2.1',
      id: `relationship--${uuidV5(MISP_STIX_NAMESPACE, `${source} - ${type} - ${target}`)}`,
      created: time,
      modified: time,
      relationship_type: type,
      source_ref: source,
      target_ref: target,
    }
    this.mark(relationship, markings, false)
    return relationship
  }

  private tagging(tags: readonly MispTag[], path: string, uuid: string): Tagging {
    if (tags.length === 0) {
      return NO_TAGS
    }
    const tagging: Tagging = { labels: [], markingRefs: [], tlp: null, tlpTagNames: null, names: [] }
    const tlpNames: string[] = []
    let canonical = true
    for (const tag of tags) {
      if (tag.local === true || tag.exportable === false) {
        // Local tags, and tags of a non-exportable tag definition, never leave their MISP instance.
        this.problems.push(
          mispProblem(
            'warning',
            path,
            uuid,
            'Tag',
            `${tag.local === true ? 'local' : 'non-exportable'} tag '${tag.name}' is not exported`,
          ),
        )
        continue
      }
      tagging.names.push(tag.name)
      const tlp = tlpOfTag(tag.name)
      if (tlp === null) {
        tagging.labels.push(tag.name)
        continue
      }
      tlpNames.push(tag.name)
      canonical = canonical && tag.name === `tlp:${tlp}`
      tagging.tlp = stricterTlp(tagging.tlp, tlp)
      const ref = TLP2_MARKING_IDS[tlp]
      if (!tagging.markingRefs.includes(ref)) {
        tagging.markingRefs.push(ref)
      }
      this.tlpsUsed.add(tlp)
    }
    if (!canonical || tlpNames.length !== tagging.markingRefs.length) {
      tagging.tlpTagNames = tlpNames
    }
    return tagging
  }

  private mark(object: StixObject, markingRefs: readonly string[], revoked: boolean | undefined): void {
    if (markingRefs.length > 0) {
      object.object_marking_refs = [...markingRefs]
    }
    if (revoked === true) {
      object.revoked = true
    }
  }

  /**
   * Adds an object to the output. Ids made from attribute and object uuids are unique once
   * {@link safeUuid} has claimed the uuid; the others (relationships, sightings, notes) are checked.
   */
  private emit(object: StixObject, audience: MispAudience | null = null, check = false): boolean {
    if (check && this.ids.has(object.id)) {
      this.problems.push(
        mispProblem(
          'error',
          object.id,
          null,
          'id',
          'a second STIX object with this id (duplicate MISP uuid); dropped',
        ),
      )
      return false
    }
    if (check) {
      this.ids.add(object.id)
    }
    this.content.push(object)
    this.refs.push(object.id)
    if (audience !== null && audience !== this.eventAudience) {
      this.narrower[object.id] = audience
    }
    return true
  }

  private register(rawUuid: string, uuid: string, target: Target): void {
    if (!this.needTargets) {
      return
    }
    this.targets.set(rawUuid === '' ? uuid : rawUuid, target)
    if (rawUuid !== uuid) {
      this.targets.set(uuid, target)
    }
  }

  /** The effective audience of an element from its own distribution levels, when narrower than the event's. */
  private ownAudience(
    distributions: string | undefined | readonly (string | undefined)[],
  ): MispAudience | null {
    let audience: MispAudience | null = null
    for (const distribution of typeof distributions === 'string' ? [distributions] : (distributions ?? [])) {
      const own = distribution === undefined ? undefined : DISTRIBUTION_AUDIENCE[distribution]
      if (own !== undefined) {
        audience = narrowerAudience(audience, own)
      }
    }
    if (audience === null) {
      return null
    }
    const effective = narrowerAudience(this.eventAudience, audience)
    return effective === this.eventAudience ? null : effective
  }

  /**
   * The uuid STIX ids use for an element: its own when it is a UUID not used yet in this event, else a
   * derived one (the original is kept in `x_misp_uuid`-style properties).
   */
  private safeUuid(uuid: string, path: string, claims: Set<string> = this.claimed): string {
    if (isUuid(uuid) && !claims.has(uuid)) {
      claims.add(uuid)
      return uuid
    }
    const derived = uuidV5(MISP_STIX_NAMESPACE, `${this.eventUuid} - ${path}`)
    claims.add(derived)
    const reason = uuid === '' ? 'missing' : isUuid(uuid) ? 'already used in this event' : 'not a UUID'
    this.problems.push(mispProblem('error', path, uuid, 'uuid', `${reason}; STIX ids use ${derived}`))
    return derived
  }

  private identity(uuid: string, name: string): string {
    const id = `identity--${uuid}`
    if (!this.identities.has(id)) {
      this.identities.set(id, {
        type: 'identity',
        spec_version: '2.1',
        id,
        created: this.eventCreated,
        modified: this.eventCreated,
        name,
        identity_class: 'organization',
      })
    }
    return id
  }

  private base(type: string, uuid: string, time: string): StixObject {
    const object: StixObject = { type, spec_version: '2.1', id: `${type}--${uuid}` }
    if (this.createdBy !== undefined) {
      object.created_by_ref = this.createdBy
    }
    object.created = time
    object.modified = time
    return object
  }

  private creator(): { created_by_ref?: string } {
    return this.createdBy === undefined ? {} : { created_by_ref: this.createdBy }
  }

  private unixOfDate(date: string): string {
    const time = Date.parse(`${date}T00:00:00Z`)
    return Number.isNaN(time) ? '0' : String(Math.floor(time / 1000))
  }
}

/**
 * The STIX form of a sighting: `0` a `sighting`, `1` (false positive) an `opinion` that strongly
 * disagrees (misp-stix), `2` (expiration) a `note`, which STIX consumers read as a comment only.
 */
function sightingObject(
  sighting: MispSighting,
  uuid: string,
  ref: string,
  time: string,
  identityId: string | null,
): StixObject {
  const common = { spec_version: '2.1', created: time, modified: time }
  if (sighting.type === '0') {
    const created: StixObject = {
      type: 'sighting',
      id: `sighting--${uuid}`,
      ...common,
      first_seen: time,
      last_seen: time,
      count: 1,
      sighting_of_ref: ref,
    }
    if (identityId !== null) {
      created.where_sighted_refs = [identityId]
    }
    if (sighting.source !== undefined) {
      created.description = sighting.source
    }
    return created
  }
  const created: StixObject =
    sighting.type === '1'
      ? {
          type: 'opinion',
          id: `opinion--${uuid}`,
          ...common,
          explanation: 'False positive Sighting',
          opinion: 'strongly-disagree',
          object_refs: [ref],
        }
      : {
          type: 'note',
          id: `note--${uuid}`,
          ...common,
          abstract: 'MISP expiration sighting',
          content: `Considered expired from ${time}.`,
          object_refs: [ref],
        }
  created.x_misp_sighting_type = sighting.type
  if (identityId !== null) {
    created.authors = [sighting.Organisation?.name ?? identityId]
    created.x_misp_author_ref = identityId
  }
  if (sighting.source !== undefined) {
    created.x_misp_source = sighting.source
  }
  return created
}

function seenTime(value: string | undefined): string | null {
  return value === undefined ? null : stixTimeOfIso(value)
}

function relationshipType(type: string): string {
  const safe = type.toLowerCase().replace(RELATIONSHIP_UNSAFE_RE, '-').replace(EDGE_DASHES_RE, '')
  return safe === '' ? 'related-to' : safe
}

function attributeEntry(attribute: MispAttribute, uuid: string, tagging: Tagging): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    uuid: attribute.uuid === '' ? uuid : attribute.uuid,
    type: attribute.type,
    object_relation: attribute.object_relation,
    value: attribute.value,
    category: attribute.category,
    to_ids: attribute.to_ids,
  }
  const optional = {
    comment: attribute.comment === '' ? undefined : attribute.comment,
    timestamp: attribute.timestamp,
    distribution: attribute.distribution,
    sharing_group_id: attribute.sharing_group_id,
    first_seen: attribute.first_seen,
    last_seen: attribute.last_seen,
    disable_correlation: attribute.disable_correlation,
    deleted: attribute.deleted,
    data: attribute.data,
    tags: tagging.names.length > 0 ? tagging.names : undefined,
  }
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) {
      entry[key] = value
    }
  }
  if (attribute.uuid === '') {
    entry.derived_uuid = true
  }
  return entry
}
