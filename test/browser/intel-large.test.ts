import { randomUUID } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestServer } from '../helpers/server.js'
import { logIn, type Person, startBrowserWorld, closeBrowserWorld } from '../helpers/browser.js'
import { indicator, namingEvery } from '../helpers/stix.js'

/** Members of the report: more than the object page takes of a list (1,000), several pages of related. */
const MEMBERS = 1250

describe('a large report in Chromium: the object page shows it in part and pages its members', () => {
  let server: TestServer
  let browser: Browser
  let analyst: Person
  let reportId: string
  let memberIds: string[]

  beforeAll(async () => {
    ;({ server, browser } = await startBrowserWorld())
    const importer = await server.loginAsNewUser({ role: 'analyst' })
    analyst = { email: importer.email, password: importer.password }
    const members = Array.from({ length: MEMBERS }, () => indicator())
    memberIds = members.map((m) => m.id)
    const { report } = namingEvery(memberIds, '2026-11-01T00:00:00.000Z')
    reportId = report.id
    const imported = await importer.client.post('/api/v1/intel/import', {
      type: 'bundle',
      id: `bundle--${randomUUID()}`,
      objects: [...members, report],
    })
    expect(imported.status, imported.text).toBe(200)
  }, 60_000)

  afterAll(async () => {
    await closeBrowserWorld(browser, server)
  })

  /** The related objects listed on the page, by the ids their links lead to. */
  async function listedIds(page: Page): Promise<string[]> {
    const hrefs = await page
      .getByTestId('related-objects')
      .locator('a')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''))
    return hrefs.map((href) => decodeURIComponent(href.split('/').pop() ?? ''))
  }

  it('says which list is cut, writes the JSON only when asked, and shows every member page by page', async () => {
    const { context, page } = await logIn(browser, server.url, analyst)
    const errors: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        errors.push(msg.text())
      }
    })
    await page.goto(`${server.url}/intelligence/objects/${reportId}`)
    const notice = page.getByTestId('truncated-lists')
    await expect.poll(() => notice.textContent()).toContain('object_refs lists more than 1,000 entries')
    expect(await notice.textContent()).toContain('the first 1,000 you may see')
    // The raw JSON is not in the page until opened; then it holds the first 1,000 members.
    expect(await page.getByTestId('object-json').count()).toBe(0)
    await page.getByRole('button', { name: 'Show JSON' }).click()
    const json = (await page.getByTestId('object-json').textContent()) ?? ''
    expect(json.match(/"indicator--/g)?.length).toBe(1000)
    expect(json).toContain(memberIds[999])
    expect(json).not.toContain(memberIds[1000])

    // Related objects: the first 200, then 200 more a click, until every member is listed once.
    await expect.poll(async () => (await listedIds(page)).length).toBe(200)
    const more = page.getByRole('button', { name: 'Show more objects it names' })
    for (let shown = 200; shown < MEMBERS; shown += 200) {
      await more.click()
      await expect.poll(async () => (await listedIds(page)).length).toBe(Math.min(MEMBERS, shown + 200))
    }
    await expect.poll(() => more.count()).toBe(0)
    expect((await listedIds(page)).sort()).toEqual([...memberIds].sort())
    expect(await page.getByTestId('related-count').count()).toBe(0)

    // A member's page names the report among the objects naming it, and cuts nothing.
    await page.goto(`${server.url}/intelligence/objects/${memberIds[0] ?? ''}`)
    await expect.poll(() => listedIds(page)).toEqual([reportId])
    expect(await page.getByTestId('truncated-lists').count()).toBe(0)
    expect(errors).toEqual([])
    await context.close()
  })
})
