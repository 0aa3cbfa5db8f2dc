import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CORPUS_DIR } from '../helpers/corpus.js'
import { logIn, type Person, startBrowserWorld, closeBrowserWorld } from '../helpers/browser.js'
import type { ApiClient } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'

/** PyMISP's new malware sample: the file itself (`encrypt` set), which the import packs as MISP does. */
const MALWARE = path.join(CORPUS_DIR, 'misp', 'pymisp', 'mispevent_testfiles', 'malware.json')
/** PyMISP's event with proposals (ShadowAttribute), which are no content of the event. */
const PROPOSALS = path.join(CORPUS_DIR, 'misp', 'pymisp', 'mispevent_testfiles', 'proposals.json')

describe('MISP specifics in Chromium: a malware sample’s hashes and archive, an import’s warnings', () => {
  let server: TestServer
  let browser: Browser
  let analyst: Person
  let client: ApiClient

  beforeAll(async () => {
    ;({ server, browser } = await startBrowserWorld())
    const importer = await server.loginAsNewUser({ role: 'analyst' })
    analyst = { email: importer.email, password: importer.password }
    client = importer.client
    const imported = await client.post('/api/v1/intel/import', JSON.parse(readFileSync(MALWARE, 'utf8')))
    expect(imported.status, imported.text).toBe(200)
  }, 60_000)

  afterAll(async () => {
    await closeBrowserWorld(browser, server)
  })

  async function only(type: string): Promise<Record<string, unknown>> {
    const res = await client.get<{ items: { object: Record<string, unknown> }[] }>(
      `/api/v1/intel/objects?type=${type}`,
    )
    expect(res.body.items, type).toHaveLength(1)
    return res.body.items[0]?.object ?? {}
  }

  it('shows the file’s MD5, and downloads the artifact’s encrypted archive byte for byte', async () => {
    const file = await only('file')
    const artifact = await only('artifact')
    const { context, page } = await logIn(browser, server.url, analyst)
    await page.goto(`${server.url}/intelligence/objects/${String(file.id)}`)
    const md5 = (file.hashes as Record<string, string>).MD5 ?? ''
    expect(md5).toMatch(/^[0-9a-f]{32}$/)
    await expect.poll(() => page.getByTestId('hash-MD5').textContent()).toBe(md5)

    await page.goto(`${server.url}/intelligence/objects/${String(artifact.id)}`)
    const properties = page.getByTestId('object-properties')
    await expect.poll(() => properties.textContent()).toContain('application/zip')
    expect(await properties.textContent()).toContain('(encrypted; password “infected”)')
    // Properties without a row of their own are listed by name (the raw JSON is not opened).
    expect(await properties.textContent()).toContain('encryption_algorithm')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download' }).click(),
    ])
    expect(download.suggestedFilename()).toBe(`${String(artifact.id)}.zip`)
    const saved = readFileSync(await download.path())
    expect(saved.toString('base64')).toBe(artifact.payload_bin)
    expect(saved.subarray(0, 4).toString('hex')).toBe('504b0304')
    await context.close()
  })

  it('lists on the import page what an import read other than written: MISP proposals left out', async () => {
    const { context, page } = await logIn(browser, server.url, analyst)
    await page.goto(`${server.url}/intelligence/import`)
    const form = page.getByTestId('import-form')
    await form.locator('input[type="file"]').setInputFiles(PROPOSALS)
    await form.getByRole('button', { name: 'Import' }).click()
    await page.getByTestId('import-summary').waitFor()
    const warnings = page.getByTestId('import-warnings')
    await expect.poll(() => warnings.textContent()).toContain('ShadowAttribute')
    expect(await warnings.textContent()).toContain('1 proposal(s) not imported')
    expect(await warnings.textContent()).toContain('imported all the same')
    await context.close()
  })
})
