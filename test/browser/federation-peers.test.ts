import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  expectWebBuilt,
  launchChromium,
  logIn,
  RESULTS,
  type Person,
  unlabelledControls,
} from '../helpers/browser.js'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
import { standFor, startInstance, type Instance } from '../helpers/federation.js'

interface PeerBody {
  name: string
  url: string
  orgId: string
  pullCollections: string[]
  pushCollection: string | null
  intervalSeconds: number
  credentials: string
}

/** Console errors and failed API calls of a page, but for the answers a test expects. */
function watch(page: Page, expected: RegExp): { consoleErrors: string[]; failedCalls: string[] } {
  const seen = { consoleErrors: [] as string[], failedCalls: [] as string[] }
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of (400|401|409)\b/.test(msg.text())) {
      seen.consoleErrors.push(msg.text())
    }
  })
  page.on('response', (response) => {
    const url = new URL(response.url())
    const call = `${response.request().method()} ${response.status()} ${url.pathname}`
    if (
      url.pathname.startsWith('/api/') &&
      response.status() >= 400 &&
      url.pathname !== '/api/v1/me' &&
      !expected.test(call)
    ) {
      seen.failedCalls.push(call)
    }
  })
  return seen
}

describe('federation peers in Chromium: an instance admin adds, edits and removes a peer', () => {
  let alpha: Instance
  let bravo: Instance
  let browser: Browser
  let admin: Person
  let analyst: Person
  let bravoOrg: { id: string; name: string }
  let deltaOrg: string
  let bravoCircle: { id: string; name: string }
  let otherCircle: { id: string; name: string }
  let token: string

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
    const member = await createUserWithPassword(alpha.server.store, {
      orgId: (await createOrg(alpha.server.store)).id,
      role: 'analyst',
    })
    analyst = { email: member.user.email, password: member.password }
    // On Bravo: the organisation that stands for Alpha, and the API key Alpha will use.
    await standFor(bravo, alpha)
    token = alpha.keyAt.get('Bravo') ?? ''
    expect(token).not.toBe('')
    const org = await createOrg(alpha.server.store, { name: 'CERT-Bravo (peer)' })
    bravoOrg = { id: org.id, name: org.name }
    deltaOrg = (await createOrg(alpha.server.store, { name: 'CERT-Delta (peer)' })).name
    // Two sharing groups of the admin's organisation, the peer's organisation in one of them.
    const adminApi = alpha.server.client()
    await adminApi.login(admin.email, admin.password)
    const group = async (name: string, memberOrgIds: string[]) => {
      const created = await adminApi.post<{ id: string; name: string }>('/api/v1/groups', {
        name,
        memberOrgIds,
      })
      expect(created.status, created.text).toBe(201)
      return created.body
    }
    bravoCircle = await group('Bravo circle', [org.id])
    otherCircle = await group('Other circle', [])
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await Promise.all([alpha?.server.close(), bravo?.server.close()])
  })

  it('adds a peer through the form (required fields, the server’s URL error), syncs, edits and removes it', async () => {
    const { context, page } = await logIn(browser, alpha.server.url, admin)
    const seen = watch(page, /^POST (400|409) \/api\/v1\/federation\/peers$/)
    const writes: string[] = []
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/federation/peers') && request.method() !== 'GET') {
        writes.push(`${request.method()} ${new URL(request.url()).pathname}`)
      }
    })
    await page.goto(`${alpha.server.url}/federation`)
    await page.getByRole('heading', { level: 1, name: 'Federation' }).waitFor()
    await page.getByText('No peers yet').waitFor()

    await page.getByRole('button', { name: 'Add peer' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add a peer' })
    const form = dialog.getByTestId('peer-form')
    await form.waitFor()
    expect(await unlabelledControls(page), 'add peer dialog').toEqual([])

    // Nothing filled in: the required fields say so, and nothing is sent.
    await form.getByRole('button', { name: 'Add peer' }).click()
    await dialog.getByText('Give the peer a name.').waitFor()
    expect(await dialog.textContent()).toContain("Give the peer's address.")
    expect(await dialog.textContent()).toContain('Choose the organisation that stands for the peer.')
    expect(await dialog.textContent()).toContain('Give the API key or token the peer gave you.')
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true')
    expect(writes).toEqual([])

    // Every field filled, but the URL has no scheme: the server's error shows beside the URL.
    await form.getByLabel('Name', { exact: true }).fill('Bravo')
    await form.getByLabel('URL', { exact: true }).fill('bravo.example/taxii2/')
    await form.getByRole('combobox', { name: 'Stands for', exact: true }).click()
    await page.getByRole('option', { name: bravoOrg.name, exact: true }).click()
    await form.getByLabel('Pull', { exact: true }).fill('federation')
    await form.getByLabel('Push to', { exact: true }).fill('federation')
    await form.getByLabel('Sync every (seconds)').fill('120')
    await form.getByLabel('API key or token', { exact: true }).fill(token)
    await form.getByRole('button', { name: 'Add peer' }).click()
    const url = form.getByLabel('URL', { exact: true })
    await expect.poll(() => url.getAttribute('aria-invalid')).toBe('true')
    // Mantine ties a field's error to its input by aria-describedby.
    const errorId = (await url.getAttribute('aria-describedby'))
      ?.split(' ')
      .find((id) => id.endsWith('error'))
    expect(errorId).toBeDefined()
    const urlError = await page.locator(`[id="${errorId ?? ''}"]`).textContent()
    expect(urlError).toMatch(/^Not a web address: .*\(the server says: must (be a valid uri|match pattern)/)
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).not.toBe('true')
    expect(writes).toEqual(['POST /api/v1/federation/peers'])
    await page.screenshot({ path: path.join(RESULTS, 'federation-peer-dialog.png'), fullPage: true })

    // Fixed: the peer is added and listed; the token never shows again.
    await url.fill(`${bravo.server.url}/taxii2/`)
    await form.getByRole('button', { name: 'Add peer' }).click()
    await dialog.waitFor({ state: 'detached' })
    const row = page.getByTestId('peer-row-Bravo')
    await row.waitFor()
    expect(await row.textContent()).toContain(bravoOrg.name)
    expect(await row.textContent()).toContain('Pull: federation')
    expect(await row.textContent()).toContain('Push: federation')
    expect(await row.textContent()).toContain('every 2 min')
    expect(await page.content()).not.toContain(token)
    const listed = await alpha.server.store.db
      .selectFrom('federation_peers')
      .select(['id', 'name', 'org_id', 'credentials'])
      .execute()
    expect(listed).toHaveLength(1)
    expect(listed[0]?.org_id).toBe(bravoOrg.id)
    // Stored sealed, never in clear.
    expect(listed[0]?.credentials).not.toContain(token)

    // A name in use: the server's conflict shows beside the name; organisations standing for a peer are not offered.
    await page.getByRole('button', { name: 'Add peer' }).click()
    const again = page.getByRole('dialog', { name: 'Add a peer' }).getByTestId('peer-form')
    await again.getByLabel('Name', { exact: true }).fill('BRAVO')
    await again.getByLabel('URL', { exact: true }).fill('https://bravo-too.example/taxii2/')
    await again.getByRole('combobox', { name: 'Stands for', exact: true }).click()
    expect(await page.getByRole('option', { name: bravoOrg.name, exact: true }).count()).toBe(0)
    await page.getByRole('option', { name: deltaOrg, exact: true }).click()
    await again.getByLabel('None', { exact: true }).check()
    await again.getByRole('button', { name: 'Add peer' }).click()
    const name = again.getByLabel('Name', { exact: true })
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true')
    expect(await again.textContent()).toContain('a peer named BRAVO exists')
    await again.getByRole('button', { name: 'Cancel' }).click()
    await again.waitFor({ state: 'detached' })

    // The credentials typed work: a sync now reaches Bravo without error.
    await row.getByRole('button', { name: 'Sync Bravo now' }).click()
    await expect.poll(() => row.getByTestId('sync-result').textContent()).toMatch(/^Pulled 0/)

    // Editing shows every field but the secret, which is kept unless replaced.
    await row.getByRole('button', { name: 'Edit peer Bravo' }).click()
    const editDialog = page.getByRole('dialog', { name: 'Edit peer Bravo' })
    const editForm = editDialog.getByTestId('peer-form')
    await editForm.waitFor()
    expect(await editForm.getByLabel('URL', { exact: true }).inputValue()).toBe(`${bravo.server.url}/taxii2/`)
    expect(await editForm.getByLabel('Stands for').inputValue()).toBe(bravoOrg.name)
    expect(await editForm.getByLabel(/^Keep the stored credentials/).isChecked()).toBe(true)
    expect(await editForm.getByLabel('API key or token', { exact: true }).count()).toBe(0)
    const values = await editForm
      .locator('input')
      .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))
    expect(values.join('\n')).not.toContain(token)
    expect(await unlabelledControls(page), 'edit peer dialog').toEqual([])
    await editForm.getByLabel('Sync every (seconds)').fill('600')
    await editForm.getByLabel('Scheduled syncs').uncheck()
    // Pulled objects shared with sharing groups: only groups the peer's organisation is in are offered.
    await editForm.getByLabel('TLP', { exact: true }).selectOption('amber')
    await editForm.getByLabel('Audience', { exact: true }).selectOption('group')
    await editForm.getByRole('combobox', { name: 'Sharing groups', exact: true }).click()
    await page.getByRole('option', { name: bravoCircle.name, exact: true }).waitFor()
    expect(await page.getByRole('option', { name: otherCircle.name }).count()).toBe(0)
    await page.getByRole('option', { name: bravoCircle.name, exact: true }).click()
    await page.keyboard.press('Escape')
    await editForm.getByRole('button', { name: 'Save peer' }).click()
    await editDialog.waitFor({ state: 'detached' })
    await expect.poll(() => row.textContent()).toContain('every 10 min')
    expect(await row.textContent()).toContain('Scheduled syncs off')
    const peerId = listed[0]?.id ?? ''
    const api = alpha.server.client()
    await api.login(admin.email, admin.password)
    const changed = await api.get<PeerBody>(`/api/v1/federation/peers/${peerId}`)
    expect(changed.body).toMatchObject({
      url: `${bravo.server.url}/taxii2/`,
      intervalSeconds: 600,
      pullCollections: ['federation'],
      credentials: 'bearer',
      pullLabel: { tlp: 'amber', audience: 'group', sharingGroups: [bravoCircle.id] },
    })
    await page.screenshot({ path: path.join(RESULTS, 'federation-peer-edited.png'), fullPage: true })

    // Removing asks first; cancelling keeps the peer.
    await row.getByRole('button', { name: 'Remove peer Bravo' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove peer Bravo?' })
    await confirm.locator('button', { hasText: 'Cancel' }).click()
    await confirm.waitFor({ state: 'detached' })
    expect(await row.isVisible()).toBe(true)
    await row.getByRole('button', { name: 'Remove peer Bravo' }).click()
    await page
      .getByRole('dialog', { name: 'Remove peer Bravo?' })
      .getByRole('button', { name: 'Remove peer' })
      .click()
    await row.waitFor({ state: 'detached' })
    await page.getByText('No peers yet').waitFor()
    expect(await alpha.server.store.db.selectFrom('federation_peers').select('id').execute()).toEqual([])
    expect(writes).toEqual([
      'POST /api/v1/federation/peers',
      'POST /api/v1/federation/peers',
      'POST /api/v1/federation/peers',
      `POST /api/v1/federation/peers/${peerId}/sync`,
      `PATCH /api/v1/federation/peers/${peerId}`,
      `DELETE /api/v1/federation/peers/${peerId}`,
    ])
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('offers no add, edit or remove to users who are not instance admins', async () => {
    const org = await createOrg(alpha.server.store, { name: 'CERT-Charlie (peer)' })
    const api = alpha.server.client()
    await api.login(admin.email, admin.password)
    const added = await api.post('/api/v1/federation/peers', {
      name: 'Charlie',
      url: 'http://127.0.0.1:9/taxii2/',
      orgId: org.id,
    })
    expect(added.status, added.text).toBe(201)
    const { context, page } = await logIn(browser, alpha.server.url, analyst)
    await page.goto(`${alpha.server.url}/federation`)
    await page.getByTestId('peer-row-Charlie').waitFor()
    expect(await page.getByRole('button', { name: 'Add peer' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: /^(Edit|Remove) peer/ }).count()).toBe(0)
    await context.close()
  })
})
