// Where an object came from: the instance and organisation that made it, and the instances it passed
// through. Plain values and rules only (the web UI imports this file).

/** An instance of Liaison (or another TAXII server) by its stable id and its name. */
export interface InstanceRef {
  readonly id: string
  readonly name: string
}

/** Where a stored object version came from. */
export interface Provenance {
  /** The instance where it was made. */
  readonly originInstance: InstanceRef
  /** Name of the organisation that made it there. */
  readonly originOrg: string
  /**
   * The instances it passed through before reaching this one: origin first, the instance it was
   * received from last. Empty for an object made here.
   */
  readonly hops: readonly InstanceRef[]
}

/** The custom STIX property that carries provenance between instances (and in exports). */
export const PROVENANCE_PROPERTY = 'x_liaison_provenance'

/** Most hops kept; a longer route is cut from the front (the origin stays in `originInstance`). */
const MAX_HOPS = 32

/** Companion helpers for {@link Provenance}. */
export const Provenance = {
  /** The provenance of an object made on `self` by organisation `orgName`. */
  local(self: InstanceRef, orgName: string): Provenance {
    return { originInstance: self, originOrg: orgName, hops: [] }
  },

  /** True when the object has already been on `instanceId` (made there, or passed through it). */
  passedThrough(provenance: Provenance, instanceId: string): boolean {
    return provenance.originInstance.id === instanceId || provenance.hops.some((h) => h.id === instanceId)
  },

  /**
   * The value of {@link PROVENANCE_PROPERTY} for an object leaving `self`: its hops with `self`
   * added last.
   *
   * @example
   * Provenance.toWire(Provenance.local(a, 'CERT-A'), a)
   * // { origin_instance: { id: a.id, name: a.name }, origin_org: 'CERT-A', hops: [{ id: a.id, name: a.name }] }
   */
  toWire(provenance: Provenance, self: InstanceRef): Record<string, unknown> {
    const hops = [...provenance.hops]
    if (hops[hops.length - 1]?.id !== self.id) {
      hops.push(self)
    }
    return {
      origin_instance: refWire(provenance.originInstance),
      origin_org: provenance.originOrg,
      hops: hops.slice(-MAX_HOPS).map(refWire),
    }
  },

  /**
   * Reads a {@link PROVENANCE_PROPERTY} value as received (its `hops` end with the sender); null
   * when it is not one (a malformed value is ignored, never trusted in part).
   */
  parse(value: unknown): Provenance | null {
    if (!isRecord(value)) {
      return null
    }
    const origin = parseRef(value.origin_instance)
    const originOrg = value.origin_org
    if (origin === null || typeof originOrg !== 'string' || originOrg.length > 500) {
      return null
    }
    if (!Array.isArray(value.hops) || value.hops.length > MAX_HOPS * 4) {
      return null
    }
    const hops: InstanceRef[] = []
    for (const hop of value.hops) {
      const ref = parseRef(hop)
      if (ref === null) {
        return null
      }
      hops.push(ref)
    }
    return { originInstance: origin, originOrg, hops: hops.slice(-MAX_HOPS) }
  },

  /**
   * An object without its {@link PROVENANCE_PROPERTY}, and the provenance it carried (null when it
   * carried none, or a malformed one).
   */
  strip<T extends Record<string, unknown>>(object: T): { object: T; provenance: Provenance | null } {
    if (!(PROVENANCE_PROPERTY in object)) {
      return { object, provenance: null }
    }
    const { [PROVENANCE_PROPERTY]: carried, ...rest } = object
    return { object: rest as T, provenance: Provenance.parse(carried) }
  },

  /**
   * The provenance of an object received from a sender (a peer's pull or TAXII POST), whose own
   * provenance `sender` says: the sender's instance and organisation made it, unless the object
   * carries a provenance of its own, which is then taken with the sender as its last hop (a sender
   * may relay what it received; it cannot leave itself off the route). Only a sender's word counts:
   * content imported by hand carries no provenance that is believed (callers pass nothing then).
   *
   * @example
   * Provenance.received(null, { originInstance: b, originOrg: 'CERT-B', hops: [b] })
   * // { originInstance: b, originOrg: 'CERT-B', hops: [b] }
   * Provenance.received({ originInstance: a, originOrg: 'CERT-A', hops: [a] }, fromB)
   * // { originInstance: a, originOrg: 'CERT-A', hops: [a, b] }
   */
  received(carried: Provenance | null, sender: Provenance): Provenance {
    if (carried === null) {
      return sender
    }
    const last = sender.hops[sender.hops.length - 1] ?? sender.originInstance
    if (carried.hops[carried.hops.length - 1]?.id === last.id) {
      return carried
    }
    return { ...carried, hops: [...carried.hops, last].slice(-MAX_HOPS) }
  },

  /** The route in words: `CERT-A → CERT-B`. */
  describe(provenance: Provenance): string {
    const route = provenance.hops.length > 0 ? provenance.hops : [provenance.originInstance]
    return route.map((h) => h.name).join(' → ')
  },
}

function refWire(ref: InstanceRef): Record<string, string> {
  return { id: ref.id, name: ref.name }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseRef(value: unknown): InstanceRef | null {
  if (!isRecord(value)) {
    return null
  }
  const { id, name } = value
  if (typeof id !== 'string' || id === '' || id.length > 300) {
    return null
  }
  if (typeof name !== 'string' || name.length > 300) {
    return null
  }
  return { id, name }
}
