import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrganisation, insertNewOrganisation } from '../../src/server/modules/org/org.service.js'
import type { Store } from '../../src/server/store/store.js'
import { createStoreLocation, openTestStore, STORE_KINDS, type TestStoreLocation } from '../helpers/stores.js'

/**
 * A long write of this process — an import of a million objects through the API is one transaction
 * — must not hold the server's reads until it commits: a read outside it is answered at once, from
 * the last committed state (it never sees the write half done), and sees the write once committed.
 */
describe.each(STORE_KINDS)('reads beside an open write transaction (%s)', (kind) => {
  let location: TestStoreLocation
  let store: Store

  beforeAll(async () => {
    location = await createStoreLocation(kind)
    store = await openTestStore(location)
  })
  afterAll(async () => {
    await store.close()
    await location.drop()
  })

  const names = async () =>
    (await store.db.selectFrom('organisations').select('name').execute()).map((r) => r.name)

  it('answers a read at once from the committed state, and sees the write after its commit', async () => {
    const operator = { kind: 'cli' as const, osUser: 'reader-test' }
    const before = `Before ${randomUUID().slice(0, 8)}`
    const during = `During ${randomUUID().slice(0, 8)}`
    await createOrganisation(store.db, operator, { name: before, type: 'national-csirt' })
    let finish = (): void => undefined
    const held = new Promise<void>((resolve) => (finish = resolve))
    let written = (): void => undefined
    const writtenYet = new Promise<void>((resolve) => (written = resolve))
    const transaction = store.db.transaction().execute(async (trx) => {
      await insertNewOrganisation(
        trx,
        operator,
        { name: during, type: 'isac', isInstanceOwner: false },
        new Date(),
      )
      written()
      await held
    })
    // (A transaction that failed before its write ends the test at once.)
    await Promise.race([
      writtenYet,
      transaction.then(() => Promise.reject(new Error('ended before writing'))),
    ])
    // Answered while the transaction is open (it waits for `finish`, which only comes after).
    const outcome = await Promise.race([
      names().then((list) => ({ list })),
      new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 5000)),
    ])
    finish()
    await transaction
    expect(outcome).not.toBe('waiting')
    const list = outcome === 'waiting' ? [] : outcome.list
    expect(list).toContain(before)
    expect(list).not.toContain(during)
    expect(await names()).toContain(during)
  })
})
