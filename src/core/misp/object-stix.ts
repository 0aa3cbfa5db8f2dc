// MISP objects -> STIX, template by template, after misp-stix's misp_objects_to_stix21.json: the
// object's main SCO gets the object uuid, secondary SCOs (addresses, directories, attachments) the uuid
// of the attribute they come from, relations without a STIX property become `x_misp_<relation>`.
// Templates not listed here become `x-misp-object` custom objects (done by the caller).

import { HASH_KEYS, X509_HASH_KEYS } from './attribute-stix.js'
import type { MispAttribute, MispObject, StixObject } from './misp.js'
import { integerComparison, keyStep, stringComparison } from './pattern.js'
import { asArray, customPropertyName, stixTimeOfIso, wholeSeconds } from './util.js'

/** How a MISP object is represented in STIX. */
export type ObjectStix =
  /** Observed-data over `scos`; an indicator AND-s `comparisons` (one per `to_ids` attribute mapped). */
  | { kind: 'observable'; scos: StixObject[]; comparisons: string[] }
  /** An SDO (vulnerability, attack-pattern, course-of-action) standing for the object. */
  | { kind: 'sdo'; type: string; props: Record<string, unknown> }

type TemplateMapper = (
  object: MispObject,
  uuid: string,
  attributeUuids: readonly string[],
) => ObjectStix | null

const DIGITS_RE = /^\d+$/
const NON_DIGITS_RE = /\D/g

/** Object templates with a STIX mapping (others become `x-misp-object`). */
export const MAPPED_TEMPLATES: readonly string[] = [
  'file',
  'domain-ip',
  'url',
  'ip-port',
  'network-connection',
  'network-socket',
  'email',
  'registry-key',
  'x509',
  'asn',
  'mutex',
  'user-account',
  'credential',
  'vulnerability',
  'attack-pattern',
  'course-of-action',
]

/**
 * The STIX form of a MISP object, or null when its template has no mapping or its attributes miss what
 * the STIX object requires. `attributeUuids[i]` is the uuid to use for `object.Attribute[i]`.
 */
export function mapMispObject(
  object: MispObject,
  uuid: string,
  attributeUuids: readonly string[],
): ObjectStix | null {
  const mapper = templateMapper(object.name)
  return mapper === null ? null : mapper(object, uuid, attributeUuids)
}

function templateMapper(name: string): TemplateMapper | null {
  switch (name) {
    case 'file':
      return mapFile
    case 'domain-ip':
      return mapDomainIp
    case 'url':
      return mapUrl
    case 'ip-port':
      return mapIpPort
    case 'network-connection':
    case 'network-socket':
      return mapNetworkConnection
    case 'email':
      return mapEmail
    case 'registry-key':
      return mapRegistryKey
    case 'x509':
      return mapX509
    case 'asn':
      return mapAsn
    case 'mutex':
      return mapMutex
    case 'user-account':
      return mapUserAccount
    case 'credential':
      return mapCredential
    case 'vulnerability':
      return mapVulnerability
    case 'attack-pattern':
      return mapAttackPattern
    case 'course-of-action':
      return mapCourseOfAction
    default:
      return null
  }
}

/** Collects the SCOs of one object and the comparisons of its `to_ids` attributes. */
class ScoBuilder {
  readonly scos: StixObject[] = []
  readonly comparisons: string[] = []
  private mainSco: StixObject | null = null

  constructor(
    private readonly mainType: string,
    private readonly uuid: string,
  ) {}

  get main(): StixObject {
    if (this.mainSco === null) {
      this.mainSco = { type: this.mainType, spec_version: '2.1', id: `${this.mainType}--${this.uuid}` }
      this.scos.unshift(this.mainSco)
    }
    return this.mainSco
  }

  get hasMain(): boolean {
    return this.mainSco !== null
  }

  /** Adds a secondary SCO and returns it. */
  add(type: string, uuid: string, props: Record<string, unknown>): StixObject {
    const sco: StixObject = { type, spec_version: '2.1', id: `${type}--${uuid}`, ...props }
    this.scos.push(sco)
    return sco
  }

  /** Sets a string property of the main SCO; repeated relations go to `x_misp_<relation>`. */
  text(attribute: MispAttribute, prop: string): void {
    if (prop in this.main) {
      this.extra(attribute)
      return
    }
    this.main[prop] = attribute.value
    this.compare(attribute, stringComparison(`${this.mainType}:${prop}`, attribute.value))
  }

  /** Sets an integer property of the main SCO (non-integers go to `x_misp_<relation>`). */
  integer(attribute: MispAttribute, prop: string, value = attribute.value): void {
    if (!DIGITS_RE.test(value) || prop in this.main) {
      this.extra(attribute)
      return
    }
    const number = Number(value)
    this.main[prop] = number
    this.compare(attribute, integerComparison(`${this.mainType}:${prop}`, number))
  }

  /** Sets a timestamp property of the main SCO from a MISP datetime. */
  time(attribute: MispAttribute, prop: string): void {
    const iso = stixTimeOfIso(attribute.value)
    const time = iso === null ? null : wholeSeconds(iso)
    if (time === null || prop in this.main) {
      this.extra(attribute)
      return
    }
    this.main[prop] = time
    this.compare(attribute, `${this.mainType}:${prop} = t'${time}'`)
  }

  /** Adds a hash to the main SCO's `hashes`. */
  hash(attribute: MispAttribute, key: string): void {
    const hashes = this.main.hashes
    const record: Record<string, unknown> = typeof hashes === 'object' && hashes !== null ? { ...hashes } : {}
    if (key in record) {
      this.extra(attribute)
      return
    }
    record[key] = attribute.value
    this.main.hashes = record
    this.compare(attribute, stringComparison(`${this.mainType}:hashes${keyStep(key)}`, attribute.value))
  }

  /** Keeps an attribute without a STIX property as `x_misp_<relation>` on `sco` (a list when repeated). */
  extra(attribute: MispAttribute, sco: StixObject = this.main): void {
    const prop = customPropertyName(attribute.object_relation ?? attribute.type)
    const current = sco[prop]
    if (current === undefined) {
      sco[prop] = attribute.value
    } else if (Array.isArray(current)) {
      current.push(attribute.value)
    } else {
      sco[prop] = [current, attribute.value]
    }
    this.compare(attribute, stringComparison(`${sco.type}:${prop}`, attribute.value))
  }

  compare(attribute: MispAttribute, comparison: string): void {
    if (attribute.to_ids) {
      this.comparisons.push(comparison)
    }
  }

  result(): ObjectStix | null {
    return this.hasMain ? { kind: 'observable', scos: this.scos, comparisons: this.comparisons } : null
  }
}

function hashKeyOf(type: string): string | undefined {
  return HASH_KEYS[type]
}

function ipTypeOf(value: string): string {
  return value.includes(':') ? 'ipv6-addr' : 'ipv4-addr'
}

function attributeUuid(uuids: readonly string[], index: number, fallback: string): string {
  return uuids[index] ?? fallback
}

const mapFile: TemplateMapper = (object, uuid, uuids) => {
  const builder = new ScoBuilder('file', uuid)
  object.Attribute.forEach((attribute, index) => {
    const relation = attribute.object_relation ?? attribute.type
    const hashKey = hashKeyOf(attribute.type)
    if (hashKey !== undefined && relation !== 'malware-sample') {
      builder.hash(attribute, hashKey)
      return
    }
    switch (relation) {
      case 'filename':
        builder.text(attribute, 'name')
        return
      case 'size-in-bytes':
        builder.integer(attribute, 'size')
        return
      case 'file-encoding':
        builder.text(attribute, 'name_enc')
        return
      case 'mime-type':
        builder.text(attribute, 'mime_type')
        return
      case 'creation-time':
        builder.time(attribute, 'ctime')
        return
      case 'modification-time':
        builder.time(attribute, 'mtime')
        return
      case 'access-time':
        builder.time(attribute, 'atime')
        return
      case 'path': {
        if ('parent_directory_ref' in builder.main) {
          builder.extra(attribute)
          return
        }
        const directory = builder.add('directory', attributeUuid(uuids, index, uuid), {
          path: attribute.value,
        })
        builder.main.parent_directory_ref = directory.id
        builder.compare(attribute, stringComparison('file:parent_directory_ref.path', attribute.value))
        return
      }
      case 'malware-sample': {
        if (attribute.data === undefined || 'content_ref' in builder.main) {
          builder.extra(attribute)
          return
        }
        const artifact = builder.add('artifact', attributeUuid(uuids, index, uuid), {
          mime_type: 'application/zip',
          payload_bin: attribute.data,
          encryption_algorithm: 'mime-type-indicated',
          decryption_key: 'infected',
        })
        builder.main.content_ref = artifact.id
        return
      }
      default:
        builder.extra(attribute)
    }
  })
  const file = builder.main
  if (!('name' in file) && !('hashes' in file)) {
    return null
  }
  return builder.result()
}

const mapDomainIp: TemplateMapper = (object, uuid, uuids) => {
  const builder = new ScoBuilder('domain-name', uuid)
  const domain =
    object.Attribute.find((attribute) => attribute.object_relation === 'domain') ??
    object.Attribute.find((attribute) => attribute.object_relation === 'hostname')
  if (domain === undefined) {
    return null
  }
  builder.text(domain, 'value')
  const resolves: string[] = []
  object.Attribute.forEach((attribute, index) => {
    if (attribute === domain) {
      return
    }
    if (attribute.object_relation === 'ip' || attribute.type === 'ip-dst' || attribute.type === 'ip-src') {
      const ipType = ipTypeOf(attribute.value)
      const address = builder.add(ipType, attributeUuid(uuids, index, uuid), { value: attribute.value })
      resolves.push(address.id)
      builder.compare(attribute, stringComparison('domain-name:resolves_to_refs[*].value', attribute.value))
      return
    }
    builder.extra(attribute)
  })
  if (resolves.length > 0) {
    builder.main.resolves_to_refs = resolves
  }
  return builder.result()
}

const mapUrl: TemplateMapper = (object, uuid) => {
  const url = object.Attribute.find((attribute) => attribute.object_relation === 'url')
  if (url === undefined) {
    return null
  }
  const builder = new ScoBuilder('url', uuid)
  builder.text(url, 'value')
  for (const attribute of object.Attribute) {
    if (attribute !== url) {
      builder.extra(attribute)
    }
  }
  return builder.result()
}

function addAddress(
  builder: ScoBuilder,
  attribute: MispAttribute,
  uuid: string,
  refKey: 'src_ref' | 'dst_ref',
): boolean {
  if (refKey in builder.main) {
    return false
  }
  const ipType = ipTypeOf(attribute.value)
  const address = builder.add(ipType, uuid, { value: attribute.value })
  builder.main[refKey] = address.id
  builder.compare(
    attribute,
    `${stringComparison(`network-traffic:${refKey}.type`, ipType)} AND ` +
      stringComparison(`network-traffic:${refKey}.value`, attribute.value),
  )
  return true
}

const mapIpPort: TemplateMapper = (object, uuid, uuids) => {
  const builder = new ScoBuilder('network-traffic', uuid)
  object.Attribute.forEach((attribute, index) => {
    const relation = attribute.object_relation ?? attribute.type
    const id = attributeUuid(uuids, index, uuid)
    if ((relation === 'ip' || relation === 'ip-dst') && addAddress(builder, attribute, id, 'dst_ref')) {
      return
    }
    if (relation === 'ip-src' && addAddress(builder, attribute, id, 'src_ref')) {
      return
    }
    if (relation === 'dst-port' || relation === 'src-port') {
      builder.integer(attribute, relation === 'dst-port' ? 'dst_port' : 'src_port')
      return
    }
    if (relation === 'first-seen' || relation === 'last-seen') {
      builder.time(attribute, relation === 'first-seen' ? 'start' : 'end')
      return
    }
    builder.extra(attribute)
  })
  const traffic = builder.main
  if (!('src_ref' in traffic) && !('dst_ref' in traffic)) {
    return null
  }
  const address = builder.scos.find((sco) => sco.type === 'ipv6-addr' || sco.type === 'ipv4-addr')
  traffic.protocols = [address?.type === 'ipv6-addr' ? 'ipv6' : 'ipv4']
  return builder.result()
}

const mapNetworkConnection: TemplateMapper = (object, uuid, uuids) => {
  const builder = new ScoBuilder('network-traffic', uuid)
  const protocols: string[] = []
  object.Attribute.forEach((attribute, index) => {
    const relation = attribute.object_relation ?? attribute.type
    const id = attributeUuid(uuids, index, uuid)
    if (relation === 'ip-src' && addAddress(builder, attribute, id, 'src_ref')) {
      return
    }
    if (relation === 'ip-dst' && addAddress(builder, attribute, id, 'dst_ref')) {
      return
    }
    if (relation === 'src-port' || relation === 'dst-port') {
      builder.integer(attribute, relation === 'src-port' ? 'src_port' : 'dst_port')
      return
    }
    if (relation.endsWith('-protocol') || relation === 'protocol') {
      protocols.push(attribute.value.toLowerCase())
      builder.compare(
        attribute,
        stringComparison('network-traffic:protocols[*]', attribute.value.toLowerCase()),
      )
      return
    }
    builder.extra(attribute)
  })
  const traffic = builder.main
  if (!('src_ref' in traffic) && !('dst_ref' in traffic)) {
    return null
  }
  traffic.protocols = protocols.length > 0 ? protocols : ['tcp']
  return builder.result()
}

const EMAIL_RECIPIENTS: Readonly<Record<string, string>> = { to: 'to_refs', cc: 'cc_refs', bcc: 'bcc_refs' }

const mapEmail: TemplateMapper = (object, uuid, uuids) => {
  const builder = new ScoBuilder('email-message', uuid)
  const message = builder.main
  const addresses = new Map<string, StixObject[]>()
  const displayNames = new Map<string, string[]>()
  const attachments: Record<string, unknown>[] = []
  const headers: Record<string, unknown> = {}
  object.Attribute.forEach((attribute, index) => {
    const relation = attribute.object_relation ?? attribute.type
    const id = attributeUuid(uuids, index, uuid)
    if (relation === 'from' || EMAIL_RECIPIENTS[relation] !== undefined) {
      const address = builder.add('email-addr', id, { value: attribute.value })
      const list = addresses.get(relation) ?? []
      list.push(address)
      addresses.set(relation, list)
      const path =
        relation === 'from'
          ? 'email-message:from_ref.value'
          : `email-message:${EMAIL_RECIPIENTS[relation] ?? 'to_refs'}[${list.length - 1}].value`
      builder.compare(attribute, stringComparison(path, attribute.value))
      return
    }
    if (relation.endsWith('-display-name')) {
      const owner = relation.slice(0, -'-display-name'.length)
      displayNames.set(owner, [...(displayNames.get(owner) ?? []), attribute.value])
      return
    }
    switch (relation) {
      case 'subject':
        builder.text(attribute, 'subject')
        return
      case 'message-id':
        builder.text(attribute, 'message_id')
        return
      case 'email-body':
        builder.text(attribute, 'body')
        return
      case 'send-date':
        builder.time(attribute, 'date')
        return
      case 'reply-to':
      case 'x-mailer': {
        const header = relation === 'reply-to' ? 'Reply-To' : 'X-Mailer'
        if (header in headers) {
          builder.extra(attribute)
          return
        }
        headers[header] = attribute.value
        builder.compare(
          attribute,
          stringComparison(`email-message:additional_header_fields${keyStep(header)}`, attribute.value),
        )
        return
      }
      case 'attachment': {
        const file = builder.add('file', id, { name: attribute.value })
        attachments.push({
          body_raw_ref: file.id,
          content_disposition: `attachment; filename='${attribute.value}'`,
        })
        builder.compare(
          attribute,
          stringComparison(
            `email-message:body_multipart[${attachments.length - 1}].body_raw_ref.name`,
            attribute.value,
          ),
        )
        return
      }
      default:
        builder.extra(attribute)
    }
  })
  for (const [owner, names] of displayNames) {
    const list = addresses.get(owner) ?? []
    names.forEach((name, index) => {
      const address = list[index]
      if (address !== undefined) {
        address.display_name = name
      } else {
        message[customPropertyName(`${owner}-display-name`)] = name
      }
    })
  }
  const from = addresses.get('from')?.[0]
  if (from !== undefined) {
    message.from_ref = from.id
  }
  for (const [relation, key] of Object.entries(EMAIL_RECIPIENTS)) {
    const list = addresses.get(relation)
    if (list !== undefined) {
      message[key] = list.map((address) => address.id)
    }
  }
  if (Object.keys(headers).length > 0) {
    message.additional_header_fields = headers
  }
  message.is_multipart = attachments.length > 0
  if (attachments.length > 0) {
    message.body_multipart = attachments
    if (typeof message.body === 'string') {
      // A multipart message has no body of its own; keep the text as a custom property.
      message.x_misp_email_body = message.body
      delete message.body
    }
  }
  return builder.result()
}

const mapRegistryKey: TemplateMapper = (object, uuid) => {
  const builder = new ScoBuilder('windows-registry-key', uuid)
  const value: Record<string, unknown> = {}
  const valueFields: Readonly<Record<string, string>> = {
    name: 'name',
    data: 'data',
    'data-type': 'data_type',
  }
  for (const attribute of object.Attribute) {
    const relation = attribute.object_relation ?? attribute.type
    const field = valueFields[relation]
    if (relation === 'key') {
      builder.text(attribute, 'key')
    } else if (field !== undefined && !(field in value)) {
      value[field] = attribute.value
      builder.compare(attribute, stringComparison(`windows-registry-key:values[*].${field}`, attribute.value))
    } else if (relation === 'last-modified') {
      builder.time(attribute, 'modified_time')
    } else {
      builder.extra(attribute)
    }
  }
  if (Object.keys(value).length > 0) {
    builder.main.values = [value]
  }
  return 'key' in builder.main || 'values' in builder.main ? builder.result() : null
}

const X509_TEXT: Readonly<Record<string, string>> = {
  issuer: 'issuer',
  subject: 'subject',
  'serial-number': 'serial_number',
  signature_algorithm: 'signature_algorithm',
  'signature-algorithm': 'signature_algorithm',
  version: 'version',
  'pubkey-info-algorithm': 'subject_public_key_algorithm',
  'pubkey-info-modulus': 'subject_public_key_modulus',
}

const mapX509: TemplateMapper = (object, uuid) => {
  const builder = new ScoBuilder('x509-certificate', uuid)
  for (const attribute of object.Attribute) {
    const relation = attribute.object_relation ?? attribute.type
    const hashKey = X509_HASH_KEYS[attribute.type]
    const textProp = X509_TEXT[relation]
    if (hashKey !== undefined) {
      builder.hash(attribute, hashKey)
    } else if (textProp !== undefined) {
      builder.text(attribute, textProp)
    } else if (relation === 'validity-not-before' || relation === 'validity-not-after') {
      builder.time(
        attribute,
        relation === 'validity-not-before' ? 'validity_not_before' : 'validity_not_after',
      )
    } else if (relation === 'pubkey-info-exponent') {
      builder.integer(attribute, 'subject_public_key_exponent')
    } else {
      builder.extra(attribute)
    }
  }
  return builder.result()
}

const mapAsn: TemplateMapper = (object, uuid) => {
  const builder = new ScoBuilder('autonomous-system', uuid)
  for (const attribute of object.Attribute) {
    const relation = attribute.object_relation ?? attribute.type
    if (relation === 'asn') {
      builder.integer(attribute, 'number', attribute.value.replace(NON_DIGITS_RE, ''))
    } else if (relation === 'description') {
      builder.text(attribute, 'name')
    } else {
      builder.extra(attribute)
    }
  }
  return 'number' in builder.main ? builder.result() : null
}

const mapMutex: TemplateMapper = (object, uuid) => {
  const builder = new ScoBuilder('mutex', uuid)
  for (const attribute of object.Attribute) {
    if ((attribute.object_relation ?? attribute.type) === 'name') {
      builder.text(attribute, 'name')
    } else {
      builder.extra(attribute)
    }
  }
  return 'name' in builder.main ? builder.result() : null
}

function mapAccount(fields: Readonly<Record<string, string>>): TemplateMapper {
  return (object, uuid) => {
    const builder = new ScoBuilder('user-account', uuid)
    for (const attribute of object.Attribute) {
      const prop = fields[attribute.object_relation ?? attribute.type]
      if (prop !== undefined) {
        builder.text(attribute, prop)
      } else {
        builder.extra(attribute)
      }
    }
    return builder.result()
  }
}

const mapUserAccount = mapAccount({
  username: 'account_login',
  'user-id': 'user_id',
  'display-name': 'display_name',
  password: 'credential',
  'account-type': 'account_type',
})

const mapCredential = mapAccount({ username: 'user_id', password: 'credential' })

function sdoExtras(
  object: MispObject,
  used: ReadonlySet<MispAttribute>,
  props: Record<string, unknown>,
): void {
  for (const attribute of object.Attribute) {
    if (used.has(attribute)) {
      continue
    }
    const prop = customPropertyName(attribute.object_relation ?? attribute.type)
    const current = props[prop]
    props[prop] =
      current === undefined
        ? attribute.value
        : Array.isArray(current)
          ? [...asArray(current), attribute.value]
          : [current, attribute.value]
  }
}

const mapVulnerability: TemplateMapper = (object) => {
  const id = object.Attribute.find((attribute) => attribute.object_relation === 'id')
  if (id === undefined) {
    return null
  }
  const used = new Set<MispAttribute>([id])
  const props: Record<string, unknown> = { name: id.value }
  const references: Record<string, unknown>[] = []
  if (id.value.toUpperCase().startsWith('CVE-')) {
    references.push({ source_name: 'cve', external_id: id.value })
  }
  for (const attribute of object.Attribute) {
    if (attribute.object_relation === 'summary' && props.description === undefined) {
      props.description = attribute.value
      used.add(attribute)
    } else if (attribute.object_relation === 'references') {
      references.push({ source_name: 'url', url: attribute.value })
      used.add(attribute)
    }
  }
  if (references.length > 0) {
    props.external_references = references
  }
  sdoExtras(object, used, props)
  return { kind: 'sdo', type: 'vulnerability', props }
}

const mapAttackPattern: TemplateMapper = (object) => {
  const name = object.Attribute.find((attribute) => attribute.object_relation === 'name')
  if (name === undefined) {
    return null
  }
  const used = new Set<MispAttribute>([name])
  const props: Record<string, unknown> = { name: name.value }
  for (const attribute of object.Attribute) {
    if (attribute.object_relation === 'summary' && props.description === undefined) {
      props.description = attribute.value
      used.add(attribute)
    } else if (attribute.object_relation === 'id' && props.external_references === undefined) {
      const capec = attribute.value.toUpperCase().startsWith('CAPEC-')
        ? attribute.value
        : `CAPEC-${attribute.value}`
      props.external_references = [{ source_name: 'capec', external_id: capec }]
      used.add(attribute)
    }
  }
  sdoExtras(object, used, props)
  return { kind: 'sdo', type: 'attack-pattern', props }
}

const mapCourseOfAction: TemplateMapper = (object) => {
  const name = object.Attribute.find((attribute) => attribute.object_relation === 'name')
  if (name === undefined) {
    return null
  }
  const used = new Set<MispAttribute>([name])
  const props: Record<string, unknown> = { name: name.value }
  const description = object.Attribute.find((attribute) => attribute.object_relation === 'description')
  if (description !== undefined) {
    props.description = description.value
    used.add(description)
  }
  sdoExtras(object, used, props)
  return { kind: 'sdo', type: 'course-of-action', props }
}
