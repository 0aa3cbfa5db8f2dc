import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
import { ApiClient } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import { CORPUS_DIR } from '../helpers/corpus.js'
import {
  pickOption,
  logIn,
  RESULTS,
  type Person,
  unlabelledControls,
  startBrowserWorld,
  closeBrowserWorld,
} from '../helpers/browser.js'

const CORPUS = path.join(CORPUS_DIR, 'stix21')
const APT1 = path.join(CORPUS, 'oasis-examples', 'threat-reports', 'apt1.json')
const INVALID = path.join(CORPUS, 'invalid', 'invalid_timestamp.json')

interface Problem {
  property: string
}

describe('intelligence in Chromium: import, search, object page', () => {
  let server: TestServer
  let browser: Browser
  let analyst: Person
  let outsider: Person

  beforeAll(async () => {
    expect(existsSync(APT1), `STIX corpus not found at ${APT1}`).toBe(true)
    ;({ server, browser } = await startBrowserWorld())
    const orgA = await createOrg(server.store, { name: 'CERT Intel', type: 'national-csirt', country: 'FR' })
    const orgB = await createOrg(server.store, { name: 'Outsider CSIRT', type: 'sector-csirt' })
    const a = await createUserWithPassword(server.store, {
      orgId: orgA.id,
      role: 'analyst',
      name: 'Ina Intel',
    })
    const b = await createUserWithPassword(server.store, {
      orgId: orgB.id,
      role: 'analyst',
      name: 'Otto Out',
    })
    analyst = { email: a.user.email, password: a.password }
    outsider = { email: b.user.email, password: b.password }
  })
  afterAll(async () => {
    await closeBrowserWorld(browser, server)
  })

  it('imports a STIX bundle, reports an invalid one, finds and shows objects to their organisation only', async () => {
    const bundle = JSON.parse(readFileSync(APT1, 'utf8')) as { objects: { id: string; type: string }[] }
    const malwareCount = bundle.objects.filter((o) => o.type === 'malware').length
    // What a strict import of the invalid file reports (nothing is stored), to compare with the page.
    const api = new ApiClient(server.url)
    await api.login(analyst.email, analyst.password)
    const strict = await api.request<{ error: { details: { problems: Problem[] } } }>(
      'POST',
      '/api/v1/intel/import',
      readFileSync(INVALID, 'utf8'),
    )
    expect(strict.status).toBe(400)
    const invalidProperty = strict.body.error.details.problems[0]?.property ?? ''
    expect(invalidProperty).not.toBe('')

    const { context, page } = await logIn(browser, server.url, analyst)
    const consoleErrors: string[] = []
    page.on('console', (msg) => {
      // The strict import of the invalid file is meant to fail: its answer is checked below.
      if (msg.type() === 'error' && !msg.text().includes('status of 400')) {
        consoleErrors.push(msg.text())
      }
    })
    const failedCalls: string[] = []
    page.on('response', (response) => {
      if (response.status() >= 400) {
        failedCalls.push(`${response.status()} ${new URL(response.url()).pathname}`)
      }
    })

    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Intelligence' })
      .click()
    await page.waitForURL((location) => location.pathname === '/intelligence')
    await expect.poll(() => page.getByTestId('objects-total').textContent()).toBe('0 objects')
    await page.getByRole('link', { name: 'Import' }).click()
    await page.waitForURL((location) => location.pathname === '/intelligence/import')

    // The bundle, under the content's markings.
    const form = page.getByTestId('import-form')
    expect(await form.getByLabel("Use the content's markings").isChecked()).toBe(true)
    expect(await page.getByTestId('label-picker').count()).toBe(0)
    await form.locator('input[type="file"]').setInputFiles(APT1)
    expect(await unlabelledControls(page)).toEqual([])
    await form.getByRole('button', { name: 'Import' }).click()
    await page.getByTestId('import-summary').waitFor()
    const created = Number(await page.getByTestId('import-created').locator('span').textContent())
    const counts = await Promise.all(
      ['updated', 'unchanged', 'rejected'].map(async (name) =>
        Number(await page.getByTestId(`import-${name}`).locator('span').textContent()),
      ),
    )
    expect(created).toBe(bundle.objects.length)
    expect(created + counts.reduce((sum, n) => sum + n, 0)).toBe(bundle.objects.length)
    expect(await page.getByTestId('import-summary').textContent()).toContain(`${created} created`)
    await page.screenshot({ path: path.join(RESULTS, 'intel-import.png'), fullPage: true })

    // An invalid file: nothing imported, and the report names the property at fault.
    await form.locator('input[type="file"]').setInputFiles(INVALID)
    await form.getByRole('button', { name: 'Import' }).click()
    await page.getByTestId('import-error').waitFor()
    const report = page.getByTestId('import-problems')
    expect(await report.textContent()).toContain(invalidProperty)
    expect(await page.getByTestId('import-summary').count()).toBe(0)
    await page.screenshot({ path: path.join(RESULTS, 'intel-import-error.png'), fullPage: true })

    // Search by type; the filter is kept in the address.
    await page.goto(`${server.url}/intelligence`)
    await expect
      .poll(() => page.getByTestId('objects-total').textContent())
      .toMatch(new RegExp(`^${bundle.objects.length} objects`))
    await pickOption(page, 'Types', 'malware')
    await expect.poll(() => new URL(page.url()).searchParams.get('type')).toContain('malware')
    await expect
      .poll(() => page.getByTestId('objects-total').textContent())
      .toBe(malwareCount === 1 ? '1 object' : `${malwareCount} objects`)
    const table = page.getByTestId('objects-table')
    expect(await table.locator('tbody tr').count()).toBe(malwareCount)
    expect(await unlabelledControls(page)).toEqual([])

    // The export dialog links to the export of the current filters.
    await page.getByRole('button', { name: 'Export' }).click()
    const href = (await page.getByTestId('export-link').getAttribute('href')) ?? ''
    expect(href).toContain('type=malware')
    expect(href).toContain('format=stix')
    await page.getByRole('button', { name: 'Cancel' }).click()

    // Part of a name, in any case: among the malware, the two WEBC2 ones; the filter is kept in the
    // address and named in the export dialog.
    const searchForm = page.getByTestId('intel-search-form')
    await searchForm.getByLabel('Name').fill('webc2')
    await searchForm.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => new URL(page.url()).searchParams.get('name')).toBe('webc2')
    await expect.poll(() => page.getByTestId('objects-total').textContent()).toBe('2 objects')
    expect(await table.textContent()).toContain('WEBC2-UGX')
    await page.getByRole('button', { name: 'Export' }).click()
    expect(await page.getByTestId('export-link').getAttribute('href')).toContain('name=webc2')
    await page.getByRole('button', { name: 'Cancel' }).click()
    await searchForm.getByLabel('Name').fill('')
    await searchForm.getByRole('button', { name: 'Search' }).click()
    await expect
      .poll(() => page.getByTestId('objects-total').textContent())
      .toBe(malwareCount === 1 ? '1 object' : `${malwareCount} objects`)

    // An object page: its label in words, its properties and its raw JSON.
    await table.locator('tbody tr').first().getByRole('link').click()
    await page.waitForURL((location) => location.pathname.startsWith('/intelligence/objects/malware--'))
    const objectId = decodeURIComponent(page.url().split('/').pop() ?? '')
    const detail = await api.get<{ label: { tlp: string } }>(`/api/v1/intel/objects/${objectId}`)
    expect(detail.status).toBe(200)
    await expect
      .poll(() => page.getByTestId('object-label-summary').textContent())
      .toContain(`TLP:${detail.body.label.tlp.toUpperCase()}`)
    expect(await page.locator('main').getByTestId('label-badge').first().textContent()).toContain(
      `TLP:${detail.body.label.tlp.toUpperCase()}`,
    )
    expect(await page.getByTestId('object-properties').textContent()).toContain(objectId)
    await page.getByRole('button', { name: 'Show JSON' }).click()
    await expect.poll(() => page.getByTestId('object-json').textContent()).toContain(`"id": "${objectId}"`)
    expect(await unlabelledControls(page)).toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'intel-object.png'), fullPage: true })
    expect(consoleErrors).toEqual([])
    expect(failedCalls).toEqual(['400 /api/v1/intel/import'])
    await context.close()

    // Another organisation sees none of it: organisation only by default.
    const asOutsider = await logIn(browser, server.url, outsider)
    await asOutsider.page.goto(`${server.url}/intelligence?type=malware`)
    await expect.poll(() => asOutsider.page.getByTestId('objects-total').textContent()).toBe('0 objects')
    await asOutsider.page.goto(`${server.url}/intelligence`)
    await expect.poll(() => asOutsider.page.getByTestId('objects-total').textContent()).toBe('0 objects')
    await asOutsider.page.goto(`${server.url}/intelligence/objects/${objectId}`)
    await expect.poll(() => asOutsider.page.getByTestId('not-found').textContent()).toMatch(/not found/i)
    await asOutsider.context.close()
  })
})
