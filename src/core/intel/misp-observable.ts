import { isObservableType, mapAttributeValue } from '../misp/attribute-stix.js'
import { isRecord } from '../misp/util.js'
import { classifyValue, observablesOfSco, type Observable } from './observable.js'

/**
 * MISP attribute types whose values MISP never correlates (`MispAttribute::NON_CORRELATING_TYPES`):
 * left out here too, so that a number (`float` 3.14) is not read as a domain.
 */
const NON_CORRELATING_TYPES: ReadonlySet<string> = new Set([
  'comment',
  'http-method',
  'aba-rtn',
  'gender',
  'counter',
  'integer',
  'float',
  'port',
  'nationality',
  'cortex',
  'boolean',
  'anonymised',
])

/** The uuid the SCOs of a value are built with here: only their values are read, never their ids. */
const ANY_UUID = '00000000-0000-4000-8000-000000000000'

/**
 * The observables one MISP attribute value carries. A type with a STIX mapping tells the kind: the
 * observables of the SCOs it maps to, as a standalone attribute of that type is indexed
 * (`filename|sha256` gives a file name and a hash, `ip-dst|port` an address; none when the value does
 * not fit the type). Any other type (`text`, `whois-registrant-email`, …): what {@link classifyValue}
 * makes of the value. None for the types MISP does not correlate.
 *
 * @example
 * observablesOfMispAttribute('ip-dst|port', '198.51.100.7|443') // [{ kind: 'ipv4', key: 'ipv4:198.51.100.7', … }]
 * observablesOfMispAttribute('text', 'c2.example') // [{ kind: 'domain', key: 'domain:c2.example', … }]
 */
export function observablesOfMispAttribute(type: string, value: string): Observable[] {
  if (NON_CORRELATING_TYPES.has(type)) {
    return []
  }
  if (isObservableType(type)) {
    const mapped = mapAttributeValue(type, value, ANY_UUID, undefined, false)
    return mapped.kind === 'observable' ? mapped.scos.flatMap((sco) => observablesOfSco(sco)) : []
  }
  const classified = classifyValue(value)
  return classified === null ? [] : [classified]
}

/**
 * What observables are wanted for: `correlation` (the index: what MISP does not correlate is left
 * out) or `matching` (warninglists: every value, correlated or not, since a known-benign value must
 * not be blocked however it was flagged).
 */
export type ObservablePurpose = 'correlation' | 'matching'

/**
 * The observables of an `x-misp-attribute` (a lone MISP attribute whose type has no STIX mapping:
 * `whois-registrant-email`, `text`, …): those of its type and value ({@link observablesOfMispAttribute});
 * for correlation, none when its correlation is disabled.
 */
export function observablesOfMispAttributeObject(
  object: Readonly<Record<string, unknown>>,
  purpose: ObservablePurpose,
): Observable[] {
  const { x_misp_type: type, x_misp_value: value } = object
  if (typeof type !== 'string' || typeof value !== 'string') {
    return []
  }
  if (purpose === 'correlation' && object.x_misp_disable_correlation === true) {
    return []
  }
  return observablesOfMispAttribute(type, value)
}

/**
 * The observables of an `x-misp-object` (a MISP object whose template has no STIX mapping): those of
 * each attribute of its `x_misp_attributes` ({@link observablesOfMispAttribute}), `to_ids` or not.
 * Deleted attributes are left out, and for correlation attributes with correlation disabled, as MISP
 * leaves them out of its correlation.
 */
export function observablesOfMispObject(
  object: Readonly<Record<string, unknown>>,
  purpose: ObservablePurpose,
): Observable[] {
  const attributes = object.x_misp_attributes
  if (!Array.isArray(attributes)) {
    return []
  }
  const out: Observable[] = []
  for (const attribute of attributes) {
    if (
      !isRecord(attribute) ||
      attribute.deleted === true ||
      (purpose === 'correlation' && attribute.disable_correlation === true)
    ) {
      continue
    }
    const { type, value } = attribute
    if (typeof type === 'string' && typeof value === 'string') {
      out.push(...observablesOfMispAttribute(type, value))
    }
  }
  return out
}
