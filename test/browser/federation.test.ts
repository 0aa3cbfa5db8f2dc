import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPeer } from '../../src/server/modules/federation/federation.service.js'
import {
  launchChromium,
  logIn,
  RESULTS,
  type Person,
  unlabelledControls,
  expectWebBuilt,
} from '../helpers/browser.js'
import { createOrg, createUserWithPassword, TEST_OPERATOR } from '../helpers/factories.js'
import {
  createProducer,
  indicator,
  link,
  produce,
  startInstance,
  sync,
  type Instance,
} from '../helpers/federation.js'

function watch(page: Page): { consoleErrors: string[]; failedCalls: string[] } {
  const seen = { consoleErrors: [] as string[], failedCalls: [] as string[] }
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().includes('401')) {
      seen.consoleErrors.push(msg.text())
    }
  })
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (url.pathname.startsWith('/api/') && response.status() >= 400 && url.pathname !== '/api/v1/me') {
      seen.failedCalls.push(`${response.status()} ${url.pathname}`)
    }
  })
  return seen
}

describe('federation in Chromium: peers with lag and errors, receipts per peer', () => {
  let alpha: Instance
  let bravo: Instance
  let browser: Browser
  let admin: Person
  let analyst: Person
  const red = indicator()
  const shared = indicator()

  beforeAll(async () => {
    alpha = await startInstance('sqlite', 'Alpha')
    bravo = await startInstance('sqlite', 'Bravo')
    expectWebBuilt(alpha.server)
    const instanceAdmin = await createUserWithPassword(alpha.server.store, {
      orgId: alpha.server.admin.orgId,
      role: 'admin',
      name: 'Ada Admin',
    })
    admin = { email: instanceAdmin.user.email, password: instanceAdmin.password }
    const producer = await createProducer(alpha)
    const member = await createUserWithPassword(alpha.server.store, {
      orgId: producer.orgId,
      role: 'analyst',
      name: 'Pia Producer',
    })
    analyst = { email: member.user.email, password: member.password }
    await produce(alpha, producer, [red], { tlp: 'red', audience: 'org', recipients: [producer.userId] })
    await produce(alpha, producer, [shared], { tlp: 'green', audience: 'federation' })
    await link(alpha, bravo, { pushCollection: 'federation' })
    // A peer nobody answers for: its error shows on the page.
    const broken = await createPeer(alpha.server.store.db, TEST_OPERATOR, alpha.server.config, {
      name: 'Nowhere',
      url: 'http://127.0.0.1:9/taxii2/',
      orgId: (await createOrg(alpha.server.store, { name: 'Nowhere CERT' })).id,
      pullCollections: ['federation'],
    })
    expect((await sync(alpha, broken.id)).error).toContain('127.0.0.1:9')
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await Promise.all([alpha?.server.close(), bravo?.server.close()])
  })

  it('lets an instance admin sync a peer now and see the receipts of what they may see', async () => {
    const { context, page } = await logIn(browser, alpha.server.url, admin)
    const seen = watch(page)
    await page.getByRole('link', { name: 'Federation' }).click()
    await page.waitForURL((location) => location.pathname === '/federation')
    await page.getByRole('heading', { level: 1, name: 'Federation' }).waitFor()
    const nowhere = page.getByTestId('peer-row-Nowhere')
    await expect.poll(() => nowhere.getByTestId('peer-error').textContent()).toContain('127.0.0.1:9')
    const bravoRow = page.locator('[data-testid^="peer-row-Bravo"]')
    await bravoRow.getByRole('button', { name: /^Sync Bravo/ }).click()
    await expect
      .poll(() => bravoRow.getByTestId('sync-result').textContent())
      .toContain('pushed 1 of 1 considered')
    await expect.poll(() => bravoRow.getByTestId('peer-counts').textContent()).toContain('1 accepted')
    // The instance admin does not see the TLP:RED item, nor its receipt.
    expect(await bravoRow.getByTestId('peer-counts').textContent()).toContain('0 filtered')
    await bravoRow.getByRole('link', { name: /^Bravo/ }).click()
    const receipts = page.getByTestId('receipts')
    await expect.poll(() => receipts.getByTestId('receipts-total').textContent()).toBe('1 receipt')
    expect(await receipts.textContent()).toContain(shared.id)
    expect(await receipts.textContent()).not.toContain(red.id)
    expect(await unlabelledControls(page), 'federation page').toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'federation-admin.png'), fullPage: true })
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('shows the producer every receipt of its items, with the rule that kept one home, and no sync button', async () => {
    const { context, page } = await logIn(browser, alpha.server.url, analyst)
    const seen = watch(page)
    const peerId = alpha.peers.get('Bravo') ?? ''
    await page.goto(`${alpha.server.url}/federation?peer=${peerId}`)
    const receipts = page.getByTestId('receipts')
    await expect.poll(() => receipts.getByTestId('receipts-total').textContent()).toBe('2 receipts')
    expect(await page.getByRole('button', { name: /^Sync/ }).count()).toBe(0)
    await receipts
      .locator('label')
      .filter({ hasText: /^Filtered$/ })
      .click()
    await expect.poll(() => receipts.getByTestId('receipts-total').textContent()).toBe('1 receipt')
    const row = receipts.getByTestId('receipt-row')
    expect(await row.textContent()).toContain(red.id)
    expect(await row.getByTestId('receipt-status').textContent()).toBe('Filtered')
    expect(await row.getByTestId('receipt-reason').textContent()).toContain('tlp:red never leaves')
    expect(new URL(page.url()).searchParams.get('status')).toBe('filtered')
    expect(await unlabelledControls(page), 'receipts').toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'federation-receipts.png'), fullPage: true })
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('shows what the peer read from this instance, filtered by direction', async () => {
    // Bravo pulls Alpha's federation collection: Alpha keeps a receipt of what Bravo's client read.
    const fromAlpha = await link(bravo, alpha, { pullCollections: ['federation'] })
    expect((await sync(bravo, fromAlpha, { only: 'pull' })).error).toBeNull()
    const { context, page } = await logIn(browser, alpha.server.url, analyst)
    const seen = watch(page)
    const peerId = alpha.peers.get('Bravo') ?? ''
    await page.goto(`${alpha.server.url}/federation?peer=${peerId}`)
    const receipts = page.getByTestId('receipts')
    await receipts
      .locator('label')
      .filter({ hasText: /^Read by the peer$/ })
      .click()
    await expect.poll(() => receipts.getByTestId('receipts-total').textContent()).toBe('1 receipt')
    const row = receipts.getByTestId('receipt-row')
    expect(await row.textContent()).toContain(shared.id)
    expect(await row.textContent()).toContain('Read by the peer (TAXII)')
    expect(await row.getByTestId('receipt-status').textContent()).toBe('Sent')
    expect(await row.getByTestId('receipt-reason').textContent()).toContain('TAXII collection')
    expect(new URL(page.url()).searchParams.get('direction')).toBe('serve')
    // The object's own page: where it went across peers, each hop with its status.
    await page.goto(`${alpha.server.url}/intelligence/objects/${shared.id}`)
    const journey = page.getByTestId('object-receipts')
    await expect.poll(() => journey.getByTestId('object-receipt-row').count()).toBe(2)
    const rows = (await journey.getByTestId('object-receipt-row').allTextContents()).join('\n')
    expect(rows).toMatch(/Bravo.*Pushed.*Accepted/)
    expect(rows).toMatch(/Bravo.*Read by the peer \(TAXII\).*Sent/)
    await page.goto(`${alpha.server.url}/intelligence/objects/${red.id}`)
    await expect
      .poll(() => page.getByTestId('object-receipts').textContent())
      .toMatch(/Filtered.*tlp:red never leaves/)
    expect(await unlabelledControls(page), 'object receipts').toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'federation-object-receipts.png'), fullPage: true })
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })
})
