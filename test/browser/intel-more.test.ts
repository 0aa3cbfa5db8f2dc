import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
import { ApiClient } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import {
  logIn,
  RESULTS,
  type Person,
  unlabelledControls,
  startBrowserWorld,
  closeBrowserWorld,
} from '../helpers/browser.js'

const RFC1918 = path.join(CORPUS_DIR, 'misp', 'warninglists', 'rfc1918', 'list.json')
const MULTICAST = path.join(CORPUS_DIR, 'misp', 'warninglists', 'multicast', 'list.json')
const PRIVATE_ADDRESS = '10.20.30.40'
/** Further indicators of the private address: with the first two, one more than a page of correlations. */
const COPIES = 19

/** Console errors and failed API calls of a page, to check that a flow ran cleanly. */
function watch(page: Page): { consoleErrors: string[]; failedCalls: string[] } {
  const seen = { consoleErrors: [] as string[], failedCalls: [] as string[] }
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      seen.consoleErrors.push(msg.text())
    }
  })
  page.on('response', (response) => {
    if (response.status() >= 400) {
      seen.failedCalls.push(`${response.status()} ${new URL(response.url()).pathname}`)
    }
  })
  return seen
}

describe('intelligence in Chromium: warninglists, sightings, four-eyes release', () => {
  let server: TestServer
  let browser: Browser
  let workDir: string
  let bundleFile: string
  let indicatorId: string
  let instanceAdmin: Person
  let requester: Person
  let approver: Person
  let orgAdmin: Person
  let outsider: ApiClient
  let orgAId: string

  beforeAll(async () => {
    expect(existsSync(RFC1918), `warninglist corpus not found at ${RFC1918}`).toBe(true)
    ;({ server, browser } = await startBrowserWorld())
    const orgA = await createOrg(server.store, { name: 'CERT Four Eyes', type: 'national-csirt' })
    orgAId = orgA.id
    const admin = await createUserWithPassword(server.store, {
      orgId: server.admin.orgId,
      role: 'admin',
      name: 'Ada Admin',
    })
    const a1 = await createUserWithPassword(server.store, {
      orgId: orgA.id,
      role: 'analyst',
      name: 'Rita Requester',
    })
    const a2 = await createUserWithPassword(server.store, {
      orgId: orgA.id,
      role: 'analyst',
      name: 'Otto Approver',
    })
    const orgAdminUser = await createUserWithPassword(server.store, { orgId: orgA.id, role: 'admin' })
    instanceAdmin = { email: admin.user.email, password: admin.password }
    requester = { email: a1.user.email, password: a1.password }
    approver = { email: a2.user.email, password: a2.password }

    orgAdmin = { email: orgAdminUser.user.email, password: orgAdminUser.password }
    outsider = (await server.loginAsNewUser({ role: 'analyst' })).client

    // A bundle with an indicator and an observable on RFC 1918 (a private network).
    const at = '2026-11-01T00:00:00.000Z'
    indicatorId = `indicator--${randomUUID()}`
    workDir = mkdtempSync(path.join(tmpdir(), 'liaison-intel-more-'))
    bundleFile = path.join(workDir, 'private-bundle.json')
    writeFileSync(
      bundleFile,
      JSON.stringify({
        type: 'bundle',
        id: `bundle--${randomUUID()}`,
        objects: [
          {
            type: 'indicator',
            spec_version: '2.1',
            id: indicatorId,
            created: at,
            modified: at,
            name: 'Beacon to a private address',
            pattern: `[ipv4-addr:value = '${PRIVATE_ADDRESS}']`,
            pattern_type: 'stix',
            valid_from: at,
          },
          {
            type: 'ipv4-addr',
            spec_version: '2.1',
            id: `ipv4-addr--${randomUUID()}`,
            value: PRIVATE_ADDRESS,
          },
          {
            type: 'indicator',
            spec_version: '2.1',
            id: `indicator--${randomUUID()}`,
            created: at,
            modified: at,
            name: 'Old scanner',
            pattern: "[ipv4-addr:value = '192.0.2.77']",
            pattern_type: 'stix',
            valid_from: at,
            valid_until: '2026-11-02T00:00:00.000Z',
          },
          // Enough other indicators of the same value for a second page of correlations.
          ...Array.from({ length: COPIES }, (_, n) => ({
            type: 'indicator',
            spec_version: '2.1',
            id: `indicator--${randomUUID()}`,
            created: at,
            modified: at,
            name: `Beacon copy ${n + 1}`,
            pattern: `[ipv4-addr:value = '${PRIVATE_ADDRESS}']`,
            pattern_type: 'stix',
            valid_from: at,
          })),
        ],
      }),
    )
  })
  afterAll(async () => {
    await closeBrowserWorld(browser, server)
    if (workDir !== undefined) {
      rmSync(workDir, { recursive: true, force: true })
    }
  })

  it('imports a warninglist, flags an import, records a false positive, and releases with four eyes', async () => {
    const listName = (JSON.parse(readFileSync(RFC1918, 'utf8')) as { name: string }).name

    // An instance admin imports the RFC 1918 warninglist in the admin page.
    const asAdmin = await logIn(browser, server.url, instanceAdmin)
    const adminSeen = watch(asAdmin.page)
    await asAdmin.page.goto(`${server.url}/admin?tab=warninglists`)
    const listForm = asAdmin.page.getByTestId('warninglist-form')
    await listForm.locator('input[type="file"]').setInputFiles(RFC1918)
    expect(await unlabelledControls(asAdmin.page)).toEqual([])
    await listForm.getByRole('button', { name: 'Import warninglist' }).click()
    const lists = asAdmin.page.getByTestId('warninglists-table')
    await expect.poll(() => lists.textContent()).toContain(listName)
    const enabled = asAdmin.page.getByRole('switch', { name: `Enabled: ${listName}` })
    await expect.poll(() => enabled.isChecked()).toBe(true)
    // Disabled and enabled again (by keyboard: the switch's thumb covers its input); a second list imported, then deleted after confirmation.
    await enabled.focus()
    await asAdmin.page.keyboard.press('Space')
    await expect.poll(() => enabled.isChecked()).toBe(false)
    await asAdmin.page.keyboard.press('Space')
    await expect.poll(() => enabled.isChecked()).toBe(true)
    const otherName = (JSON.parse(readFileSync(MULTICAST, 'utf8')) as { name: string }).name
    await listForm.locator('input[type="file"]').setInputFiles(MULTICAST)
    await listForm.getByRole('button', { name: 'Import warninglist' }).click()
    await expect.poll(() => lists.textContent()).toContain(otherName)
    await lists.getByRole('button', { name: `Delete warninglist ${otherName}` }).click()
    await asAdmin.page.getByRole('button', { name: 'Delete warninglist', exact: true }).click()
    await expect.poll(() => lists.textContent()).not.toContain(otherName)
    expect(await lists.locator('tbody tr').count()).toBe(1)
    expect(await unlabelledControls(asAdmin.page)).toEqual([])
    await asAdmin.page.screenshot({ path: path.join(RESULTS, 'intel-warninglists.png'), fullPage: true })
    expect(adminSeen.consoleErrors).toEqual([])
    expect(adminSeen.failedCalls).toEqual([])
    await asAdmin.context.close()

    // An admin of organisation A turns four-eyes release on, and sets a retention period.
    const asOrgAdmin = await logIn(browser, server.url, orgAdmin)
    const orgAdminSeen = watch(asOrgAdmin.page)
    await asOrgAdmin.page.goto(`${server.url}/directory/${orgAId}`)
    const settingsForm = asOrgAdmin.page.getByTestId('intel-settings-form')
    await settingsForm.getByRole('switch', { name: /^Four-eyes release/ }).check()
    await settingsForm.getByLabel('Retention of indicators (days)').fill('365')
    expect(await unlabelledControls(asOrgAdmin.page)).toEqual([])
    await settingsForm.getByRole('button', { name: 'Save settings' }).click()
    await expect.poll(() => settingsForm.getByRole('status').textContent()).toBe('Settings saved.')
    expect(orgAdminSeen.consoleErrors).toEqual([])
    expect(orgAdminSeen.failedCalls).toEqual([])
    await asOrgAdmin.context.close()
    const asOrgMember = new ApiClient(server.url)
    await asOrgMember.login(requester.email, requester.password)
    const orgA = await asOrgMember.get<{ settings: unknown }>(`/api/v1/organisations/${orgAId}`)
    expect(orgA.body.settings).toEqual({ fourEyesRelease: true, intelRetentionDays: 365 })

    // The requester imports for the community: the value is flagged and the release is pending.
    const { context, page } = await logIn(browser, server.url, requester)
    const seen = watch(page)
    await page.goto(`${server.url}/intelligence/import`)
    const form = page.getByTestId('import-form')
    await form.locator('input[type="file"]').setInputFiles(bundleFile)
    await form.getByRole('radio', { name: 'STIX', exact: true }).check()
    await form.getByLabel("Use the content's markings").uncheck()
    await form.getByRole('radio', { name: 'TLP:GREEN', exact: true }).check()
    await form.getByRole('radio', { name: 'Community', exact: true }).check()
    expect(await unlabelledControls(page)).toEqual([])
    await form.getByRole('button', { name: 'Import' }).click()
    await page.getByTestId('import-summary').waitFor()
    const hits = page.getByTestId('import-warninglist-hits')
    await expect.poll(() => hits.textContent()).toContain(PRIVATE_ADDRESS)
    expect(await hits.textContent()).toContain(listName)
    expect(await page.getByTestId('import-release').textContent()).toContain('four-eyes release')
    await page.screenshot({ path: path.join(RESULTS, 'intel-import-flagged.png'), fullPage: true })

    // The indicator's page: the flag on its value, then a false positive recorded and listed.
    await hits.getByRole('link', { name: indicatorId }).first().click()
    await page.waitForURL((location) => location.pathname === `/intelligence/objects/${indicatorId}`)
    await expect.poll(() => page.getByTestId('warninglist-flag').first().textContent()).toContain(listName)
    await expect.poll(() => page.getByTestId('sightings-false-positives').textContent()).toBe('0')
    // The value's correlations come in pages; together they name every other object carrying it.
    const correlations = page.getByRole('region', { name: 'Correlate' })
    const hitsShown = correlations.getByTestId('correlation-result').getByRole('listitem')
    await expect.poll(() => correlations.textContent()).toContain(`${COPIES + 2} objects carry this value`)
    const firstPage = await hitsShown.allTextContents()
    await correlations.getByRole('button', { name: 'Page 2' }).click()
    await expect.poll(async () => firstPage.length + (await hitsShown.count())).toBe(COPIES + 1)
    const secondPage = await hitsShown.allTextContents()
    expect([...firstPage, ...secondPage].filter((hit) => hit.includes('Beacon copy'))).toHaveLength(COPIES)
    await page.getByRole('button', { name: 'Record sighting or false positive' }).click()
    const sighting = page.getByTestId('sighting-form')
    expect(await sighting.getByLabel('Times seen').inputValue()).toBe('1')
    expect(await unlabelledControls(page)).toEqual([])
    await sighting.getByRole('radio', { name: /^False positive/ }).check()
    await sighting.getByLabel('Source').fill('mail gateway review')
    expect(await unlabelledControls(page)).toEqual([])
    await sighting.getByRole('button', { name: 'Record false positive' }).click()
    await expect.poll(() => page.getByTestId('sighting-form').count()).toBe(0)
    const table = page.getByTestId('sightings-table')
    await expect.poll(() => table.textContent()).toContain('False positive')
    expect(await table.textContent()).toContain('mail gateway review')
    await expect.poll(() => page.getByTestId('sightings-false-positives').textContent()).toBe('1')
    await page.getByTestId('false-positive-alert').waitFor()
    expect(await unlabelledControls(page)).toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'intel-sightings.png'), fullPage: true })

    // The search: by source and time added; the expired view says why; the export can be for blocking.
    await page.getByRole('link', { name: 'Back to Intelligence' }).click()
    await page.waitForURL((location) => location.pathname === '/intelligence')
    const search = page.getByTestId('intel-search-form')
    await search.getByLabel('Source').fill('private-bundle.json')
    await search.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => page.getByTestId('objects-total').textContent()).toBe(`${COPIES + 3} objects`)
    const tomorrow = new Date(Date.now() + 86_400_000)
    const day = (date: Date) =>
      `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`
    await search.getByLabel('Added since').fill(day(tomorrow))
    await expect.poll(() => page.getByTestId('objects-total').textContent()).toBe('0 objects')
    expect(new URL(page.url()).searchParams.get('addedAfter')).toBe(day(tomorrow))
    await search.getByLabel('Added since').fill('')
    await expect.poll(() => page.getByTestId('objects-total').textContent()).toBe(`${COPIES + 3} objects`)
    await page.locator('label', { hasText: /^Expired indicators$/ }).click()
    await expect.poll(() => page.getByTestId('objects-total').textContent()).toBe('1 expired indicator')
    expect(await page.getByTestId('objects-table').textContent()).toContain('Old scanner')
    expect(await page.getByTestId('expiry-reason').textContent()).toContain('valid until')
    await page.screenshot({ path: path.join(RESULTS, 'intel-expired.png'), fullPage: true })
    expect(await unlabelledControls(page)).toEqual([])
    await page.getByRole('button', { name: 'Export' }).click()
    const exportDialog = page.getByTestId('export-dialog')
    await exportDialog.getByLabel('For blocking').check()
    const href = (await page.getByTestId('export-link').getAttribute('href')) ?? ''
    expect(href).toContain('forBlocking=true')
    expect(href).toContain('source=private-bundle.json')
    expect(href).not.toContain('versions=')
    await exportDialog.getByLabel('Every version').check()
    expect(await page.getByTestId('export-link').getAttribute('href')).toContain('versions=all')
    // MISP has no versions: the choice is off there.
    await exportDialog.getByLabel('MISP events').check()
    expect(await exportDialog.getByLabel('Every version').isDisabled()).toBe(true)
    expect(await page.getByTestId('export-link').getAttribute('href')).not.toContain('versions=')
    expect(await unlabelledControls(page)).toEqual([])
    await exportDialog.getByRole('button', { name: 'Cancel' }).click()

    // The requester sees the pending release and cannot decide it.
    await page.getByRole('link', { name: 'Releases' }).click()
    await page.waitForURL((location) => location.pathname === '/intelligence/releases')
    const ownRow = page.getByTestId('release-row')
    await expect.poll(() => ownRow.count()).toBe(1)
    expect(await ownRow.getByTestId('release-own').textContent()).toContain('another member must decide')
    expect(await ownRow.getByRole('button', { name: 'Approve' }).count()).toBe(0)
    expect(await unlabelledControls(page)).toEqual([])

    // IOCs extracted from a text and imported in one go (organisation only: no release needed).
    await page.getByRole('link', { name: 'Back to Intelligence' }).click()
    await page.getByRole('link', { name: 'Extract IOCs' }).click()
    const extractForm = page.getByTestId('extract-form')
    await extractForm
      .getByLabel('Text')
      .fill('Callbacks to 198.51.100[.]23 and hxxp://gate.badhost[.]net/login')
    await extractForm.getByLabel('Also import the IOCs found').check()
    expect(await unlabelledControls(page)).toEqual([])
    await extractForm.getByRole('button', { name: 'Extract and import' }).click()
    await page.getByTestId('iocs-table').waitFor()
    const extracted = await page.getByTestId('iocs-table').locator('tbody tr').count()
    expect(extracted).toBeGreaterThanOrEqual(2)
    await expect.poll(() => page.getByTestId('import-created').textContent()).toBe(`${extracted} created`)
    expect(await page.getByTestId('import-release').count()).toBe(0)
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()

    // Held: another organisation does not see the indicator yet.
    expect((await outsider.get(`/api/v1/intel/objects/${indicatorId}`)).status).toBe(404)

    // A second analyst of the organisation approves it with a reason.
    const second = await logIn(browser, server.url, approver)
    const secondSeen = watch(second.page)
    await second.page.goto(`${server.url}/intelligence/releases`)
    const row = second.page.getByTestId('release-row')
    await expect.poll(() => row.count()).toBe(1)
    await expect.poll(() => row.textContent()).toContain('by Rita Requester')
    await row.getByRole('button', { name: 'Approve' }).click()
    const dialog = second.page.getByRole('dialog', { name: 'Approve the release' })
    await dialog.getByLabel('Reason').fill('Checked: fine for the community.')
    expect(await unlabelledControls(second.page)).toEqual([])
    await dialog.getByRole('button', { name: 'Approve release' }).click()
    await expect.poll(() => second.page.getByTestId('releases-total').textContent()).toBe('0 releases')
    await second.page.locator('label', { hasText: /^Approved$/ }).click()
    await expect.poll(() => row.getByTestId('release-status').textContent()).toBe('Approved')
    expect(await row.textContent()).toContain('Otto Approver (you)')
    expect(await row.textContent()).toContain('Checked: fine for the community.')
    await second.page.screenshot({ path: path.join(RESULTS, 'intel-releases.png'), fullPage: true })
    expect(secondSeen.consoleErrors).toEqual([])
    expect(secondSeen.failedCalls).toEqual([])
    await second.context.close()

    // Released: the community now sees it, under the label asked for.
    const released = await outsider.get<{ label: { tlp: string; audience: string; ownerOrg: string } }>(
      `/api/v1/intel/objects/${indicatorId}`,
    )
    expect(released.status, released.text).toBe(200)
    expect(released.body.label).toMatchObject({ tlp: 'green', audience: 'community', ownerOrg: orgAId })
  })
})
