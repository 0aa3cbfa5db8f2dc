import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  hashAuditEntry,
  parseAuditAnchor,
  verifyAuditChain,
} from '../../src/server/modules/audit/audit.service.js'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { STORE_KINDS } from '../helpers/stores.js'

describe.each(STORE_KINDS)('audit chain (%s)', (kind) => {
  let server: TestServer

  beforeAll(async () => {
    server = await startTestServer(kind)
  })
  afterAll(async () => {
    await server.close()
  })

  it('records every write with who, what and a link to the entry before', async () => {
    const { client, userId, orgId } = await server.loginAsNewUser({ role: 'admin' })
    const created = await client.post<{ user: { id: string } }>('/api/v1/users', {
      email: 'audited@example.org',
      name: 'Audited',
      role: 'viewer',
      orgId,
    })
    expect(created.status).toBe(201)
    const entry = await server.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'user.created')
      .where('target_id', '=', created.body.user.id)
      .executeTakeFirstOrThrow()
    expect(entry).toMatchObject({
      actor_type: 'user',
      actor_user_id: userId,
      actor_org_id: orgId,
      target_type: 'user',
    })
    expect(JSON.parse(entry.details)).toMatchObject({
      email: 'audited@example.org',
      role: 'viewer',
      via: 'session',
    })
    const previous = await server.store.db
      .selectFrom('audit_log')
      .select('hash')
      .where('seq', '=', Number(entry.seq) - 1)
      .executeTakeFirstOrThrow()
    expect(entry.prev_hash).toBe(previous.hash)
    expect(
      JSON.stringify(await server.store.db.selectFrom('audit_log').select('details').execute()),
    ).not.toMatch(/password_hash|\$argon2/)
  })

  it('stays one unbroken chain under concurrent writers', async () => {
    await Promise.all(Array.from({ length: 25 }, () => createOrg(server.store)))
    const result = await verifyAuditChain(server.store.db)
    expect(result.ok).toBe(true)
    const seqs = (await server.store.db.selectFrom('audit_log').select('seq').orderBy('seq').execute()).map(
      (r) => Number(r.seq),
    )
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))
  })

  it('lets instance admins read and verify the log over the API, and nobody else', async () => {
    const admin = server.client()
    await admin.login(server.admin.email, server.admin.oneTimePassword)
    await admin.post('/api/v1/auth/password', {
      currentPassword: server.admin.oneTimePassword,
      newPassword: 'operator passphrase one',
    })
    const list = await admin.get<{ items: { seq: number; action: string }[] }>('/api/v1/audit?limit=5')
    expect(list.status).toBe(200)
    expect(list.body.items).toHaveLength(5)
    expect(list.body.items[0]?.seq).toBeGreaterThan(list.body.items[4]?.seq ?? Infinity)
    const verify = await admin.get<{ ok: boolean; headSeq: number; headHash: string }>('/api/v1/audit/verify')
    expect(verify.body).toMatchObject({ ok: true })
    // A head kept elsewhere is checked; one that is no SEQ:HASH is refused, naming the parameter.
    const anchored = await admin.get(
      `/api/v1/audit/verify?anchor=${verify.body.headSeq}:${verify.body.headHash}`,
    )
    expect(anchored.body).toMatchObject({ ok: true })
    const badAnchor = await admin.get('/api/v1/audit/verify?anchor=12:nothex')
    expect(badAnchor.status).toBe(400)
    expect(badAnchor.text).toContain('anchor')

    const { client: orgAdmin } = await server.loginAsNewUser({ role: 'admin' })
    expect((await orgAdmin.get('/api/v1/audit')).status).toBe(403)
    expect((await orgAdmin.get('/api/v1/audit/verify')).status).toBe(403)
  })
})

describe.each(STORE_KINDS)('audit tampering (%s)', (kind) => {
  it('names the first altered entry', async () => {
    const server = await startTestServer(kind)
    try {
      const org = await createOrg(server.store)
      const { user } = await createUserWithPassword(server.store, { orgId: org.id })
      await createOrg(server.store)
      expect(await verifyAuditChain(server.store.db)).toMatchObject({ ok: true })

      const victim = await server.store.db
        .selectFrom('audit_log')
        .select(['seq', 'details'])
        .where('action', '=', 'user.created')
        .where('target_id', '=', user.id)
        .executeTakeFirstOrThrow()
      expect(victim.details).toContain('"role":"analyst"')
      await server.store.db
        .updateTable('audit_log')
        .set({ details: victim.details.replace('"role":"analyst"', '"role":"admin"') })
        .where('seq', '=', victim.seq)
        .execute()
      const result = await verifyAuditChain(server.store.db)
      expect(result).toMatchObject({ ok: false, brokenSeq: Number(victim.seq) })
    } finally {
      await server.close()
    }
  })

  it('catches a log rewritten whole, hashes and all, by a head recorded outside the store', async () => {
    const server = await startTestServer(kind)
    try {
      const org = await createOrg(server.store)
      await createUserWithPassword(server.store, { orgId: org.id })
      const before = await verifyAuditChain(server.store.db)
      if (!before.ok) {
        throw new Error(before.reason)
      }
      const anchor = { seq: before.headSeq, hash: before.headHash }
      expect(parseAuditAnchor(`${anchor.seq}:${anchor.hash}`)).toEqual(anchor)
      expect(parseAuditAnchor('12:not-a-hash')).toBeNull()
      await createOrg(server.store)
      expect(await verifyAuditChain(server.store.db, undefined, [anchor])).toMatchObject({ ok: true })

      // Someone holding the store alters entry 2 and recomputes every hash after it, and the head.
      const rows = await server.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute()
      let prevHash = ''
      for (const row of rows) {
        const changed = {
          ...row,
          ...(Number(row.seq) === 2 ? { action: 'organisation.renamed' } : {}),
          ...(Number(row.seq) === 1 ? {} : { prev_hash: prevHash }),
        }
        const { hash: _, ...rest } = changed
        const hash = hashAuditEntry(rest)
        await server.store.db
          .updateTable('audit_log')
          .set({ action: changed.action, prev_hash: changed.prev_hash, hash })
          .where('seq', '=', row.seq)
          .execute()
        prevHash = hash
      }
      await server.store.db.updateTable('audit_head').set({ hash: prevHash }).execute()
      // The chain alone looks whole; the anchor recorded earlier does not.
      expect(await verifyAuditChain(server.store.db)).toMatchObject({ ok: true })
      const caught = await verifyAuditChain(server.store.db, undefined, [anchor])
      expect(caught).toMatchObject({ ok: false, brokenSeq: anchor.seq })
      expect(caught.ok ? '' : caught.reason).toMatch(/rewritten/)
      // An anchor past the end: entries were removed.
      const removed = await verifyAuditChain(server.store.db, undefined, [{ seq: 10_000, hash: anchor.hash }])
      expect(removed.ok ? '' : removed.reason).toMatch(/removed/)
    } finally {
      await server.close()
    }
  })

  it('notices entries removed from the middle and from the end', async () => {
    const server = await startTestServer(kind)
    try {
      for (let i = 0; i < 4; i++) {
        await createOrg(server.store)
      }
      const head = await server.store.db.selectFrom('audit_head').select('seq').executeTakeFirstOrThrow()
      const last = Number(head.seq)
      await server.store.db.deleteFrom('audit_log').where('seq', '=', last).execute()
      expect(await verifyAuditChain(server.store.db)).toMatchObject({ ok: false, brokenSeq: last })

      await server.store.db.deleteFrom('audit_log').where('seq', '=', 3).execute()
      const result = await verifyAuditChain(server.store.db)
      expect(result).toMatchObject({ ok: false, brokenSeq: 3 })
      expect(result.ok ? '' : result.reason).toMatch(/missing/)
    } finally {
      await server.close()
    }
  })
})
