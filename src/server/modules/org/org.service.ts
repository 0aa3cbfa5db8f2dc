import { randomUUID } from 'node:crypto'
import { Type, type Static } from 'typebox'
import {
  CreateOrganisationBody,
  ORG_TYPES,
  type CreateOrganisationInput,
  type OrgType,
} from '../../../core/account/account.schema.js'
import { Actor } from '../../../core/account/principal.js'
import { conflict, forbidden, notFound } from '../../errors.js'
import type { Db, Trx } from '../../store/store.js'
import { validateInput } from '../../validation.js'
import { recordAudit, type AuditActor } from '../audit/audit.service.js'
import {
  findIntelSettings,
  findOrganisationById,
  findOrganisationByName,
  findOrganisations,
  findRetentionPeriods,
  insertOrganisation,
  updateOrganisationRow,
} from './org.repository.js'
import type { OrganisationRow } from './org.table.js'

/** Body of `PATCH /api/v1/organisations/{id}`. */
export const UpdateOrganisationBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    type: Type.Optional(Type.Enum([...ORG_TYPES])),
    country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}$' }), Type.Null()])),
    sector: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
    website: Type.Optional(
      Type.Union([Type.String({ format: 'uri', pattern: '^https?://', maxLength: 500 }), Type.Null()]),
    ),
    securityContact: Type.Optional(
      Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]),
    ),
    pgpKey: Type.Optional(
      Type.Union([
        Type.String({
          maxLength: 65536,
          pattern:
            '^\\s*-----BEGIN PGP PUBLIC KEY BLOCK-----[\\s\\S]+-----END PGP PUBLIC KEY BLOCK-----\\s*$',
        }),
        Type.Null(),
      ]),
    ),
    private: Type.Optional(
      Type.Object(
        {
          notes: Type.Optional(Type.Union([Type.String({ maxLength: 10000 }), Type.Null()])),
          internalContact: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
        },
        { additionalProperties: false },
      ),
    ),
    settings: Type.Optional(
      Type.Object(
        {
          fourEyesRelease: Type.Optional(
            Type.Boolean({
              description:
                'hold intelligence shared beyond the organisation until a second member approves it (releases: GET /api/v1/intel/releases)',
            }),
          ),
          intelRetentionDays: Type.Optional(
            Type.Union([Type.Integer({ minimum: 1, maximum: 36500 }), Type.Null()], {
              description:
                'indicators without valid_until expire this many days after they last changed; null: never',
            }),
          ),
        },
        { additionalProperties: false, minProperties: 1 },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)

/** Fields only instance admins change; an organisation's own admins change the rest (its profile). */
const INSTANCE_ONLY_FIELDS = ['name', 'type', 'country', 'sector'] as const
/** Input to change an organisation. */
export type UpdateOrganisationInput = Static<typeof UpdateOrganisationBody>

/**
 * Creates an organisation; instance admins and CLI operators only. Names are unique regardless of case.
 */
export async function createOrganisation(
  db: Db,
  actor: Actor,
  input: CreateOrganisationInput,
  now = new Date(),
): Promise<OrganisationRow> {
  if (!Actor.managesInstance(actor)) {
    throw forbidden('only instance admins create organisations')
  }
  const valid = validateInput(CreateOrganisationBody, input)
  return db.transaction().execute(async (trx) => {
    const row = await insertNewOrganisation(trx, actor, { ...valid, isInstanceOwner: false }, now)
    return row
  })
}

/** Inserts an organisation and its audit entry inside an open transaction (also used at first start). */
export async function insertNewOrganisation(
  trx: Trx,
  actor: AuditActor,
  input: {
    name: string
    type: OrgType
    country?: string | null
    sector?: string | null
    isInstanceOwner: boolean
  },
  now: Date,
): Promise<OrganisationRow> {
  const name = input.name.trim()
  if (await findOrganisationByName(trx, name)) {
    throw conflict('name', `an organisation named "${name}" already exists`)
  }
  const at = now.toISOString()
  const row: OrganisationRow = {
    id: randomUUID(),
    name,
    name_key: name.toLowerCase(),
    type: input.type,
    country: input.country ?? null,
    sector: input.sector ?? null,
    is_instance_owner: input.isInstanceOwner ? 1 : 0,
    description: null,
    website: null,
    security_contact: null,
    pgp_key: null,
    private_notes: null,
    internal_contact: null,
    four_eyes_release: 0,
    intel_retention_days: null,
    created_at: at,
    updated_at: at,
  }
  await insertOrganisation(trx, row)
  await recordAudit(
    trx,
    actor,
    {
      action: 'organisation.created',
      targetType: 'organisation',
      targetId: row.id,
      details: { name: row.name, type: row.type, country: row.country, sector: row.sector },
    },
    now,
  )
  return row
}

/**
 * Changes an organisation: its profile (description, website, security contact, OpenPGP key, private
 * fields) and its settings (four-eyes release, intelligence retention) by its own admins, instance
 * admins and CLI operators; name, type, country and sector by instance admins and CLI operators only.
 */
export async function updateOrganisation(
  db: Db,
  actor: Actor,
  id: string,
  input: UpdateOrganisationInput,
  now = new Date(),
): Promise<OrganisationRow> {
  const valid = validateInput(UpdateOrganisationBody, input)
  return db.transaction().execute(async (trx) => {
    const before = await findOrganisationById(trx, id)
    if (before === undefined) {
      throw notFound('organisation', id)
    }
    if (!Actor.managesOrg(actor, id)) {
      throw forbidden('only admins of this organisation change its profile')
    }
    const instanceOnly = INSTANCE_ONLY_FIELDS.find((field) => valid[field] !== undefined)
    if (instanceOnly !== undefined && !Actor.managesInstance(actor)) {
      throw forbidden(`${instanceOnly}: only instance admins change it`)
    }
    const change: Partial<OrganisationRow> = { updated_at: now.toISOString() }
    if (valid.name !== undefined) {
      const name = valid.name.trim()
      const clash = await findOrganisationByName(trx, name)
      if (clash !== undefined && clash.id !== id) {
        throw conflict('name', `an organisation named "${name}" already exists`)
      }
      change.name = name
      change.name_key = name.toLowerCase()
    }
    if (valid.type !== undefined) {
      change.type = valid.type
    }
    if (valid.country !== undefined) {
      change.country = valid.country
    }
    if (valid.sector !== undefined) {
      change.sector = valid.sector
    }
    if (valid.description !== undefined) {
      change.description = valid.description?.trim() || null
    }
    if (valid.website !== undefined) {
      change.website = valid.website
    }
    if (valid.securityContact !== undefined) {
      change.security_contact = valid.securityContact?.toLowerCase() ?? null
    }
    if (valid.pgpKey !== undefined) {
      change.pgp_key = valid.pgpKey?.trim() ?? null
    }
    if (valid.private?.notes !== undefined) {
      change.private_notes = valid.private.notes
    }
    if (valid.private?.internalContact !== undefined) {
      change.internal_contact = valid.private.internalContact
    }
    if (valid.settings?.fourEyesRelease !== undefined) {
      change.four_eyes_release = valid.settings.fourEyesRelease ? 1 : 0
    }
    if (valid.settings?.intelRetentionDays !== undefined) {
      change.intel_retention_days = valid.settings.intelRetentionDays
    }
    await updateOrganisationRow(trx, id, change)
    await recordAudit(
      trx,
      actor,
      {
        action: 'organisation.updated',
        targetType: 'organisation',
        targetId: id,
        details: { changed: Object.keys(valid), before: pick(before, valid), after: publicPart(valid) },
      },
      now,
    )
    return { ...before, ...change }
  })
}

/** Every organisation, by name, one page. Profiles are visible to every member of the community. */
export async function listOrganisations(
  db: Db,
  _actor: Actor,
  page: { limit: number; offset: number },
): Promise<{ rows: OrganisationRow[]; total: number }> {
  return findOrganisations(db, page)
}

/** One organisation by id; 404 when there is none. */
export async function getOrganisation(db: Db, _actor: Actor, id: string): Promise<OrganisationRow> {
  const row = await findOrganisationById(db, id)
  if (row === undefined) {
    throw notFound('organisation', id)
  }
  return row
}

/** An organisation's intelligence settings, as other modules use them. */
export interface IntelSettings {
  /** Sharing beyond the organisation waits for a second member's approval. */
  readonly fourEyesRelease: boolean
  /** Indicators without `valid_until` expire this many days after they last changed; null: never. */
  readonly intelRetentionDays: number | null
}

/** The intelligence settings of some organisations, by id (organisations that do not exist are left out). */
export async function intelSettingsOf(
  db: Db | Trx,
  orgIds: readonly string[],
): Promise<Map<string, IntelSettings>> {
  const rows = await findIntelSettings(db, orgIds)
  return new Map(
    rows.map((row) => [
      row.id,
      { fourEyesRelease: row.four_eyes_release === 1, intelRetentionDays: row.intel_retention_days },
    ]),
  )
}

/** Every retention period (in days) some organisation has set, each once: a short list. */
export async function listRetentionPeriods(db: Db | Trx): Promise<number[]> {
  return findRetentionPeriods(db)
}

/** Finds an organisation by id or by name (for the CLI); 404 when neither matches. */
export async function resolveOrganisation(db: Db, ref: string): Promise<OrganisationRow> {
  const byId = /^[0-9a-f-]{36}$/i.test(ref) ? await findOrganisationById(db, ref) : undefined
  const row = byId ?? (await findOrganisationByName(db, ref))
  if (row === undefined) {
    throw notFound('organisation', ref)
  }
  return row
}

/** What the audit log keeps of a change: everything but the private profile's contents. */
function publicPart(input: UpdateOrganisationInput): Record<string, unknown> {
  const { private: privatePart, ...rest } = input
  return privatePart === undefined ? rest : { ...rest, private: Object.keys(privatePart) }
}

function pick(row: OrganisationRow, keys: UpdateOrganisationInput): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(keys)) {
    switch (key) {
      case 'name':
        out.name = row.name
        break
      case 'type':
        out.type = row.type
        break
      case 'country':
        out.country = row.country
        break
      case 'sector':
        out.sector = row.sector
        break
      case 'settings':
        out.settings = {
          fourEyesRelease: row.four_eyes_release === 1,
          intelRetentionDays: row.intel_retention_days,
        }
        break
    }
  }
  return out
}
