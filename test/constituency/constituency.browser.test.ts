import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUserWithPassword } from '../helpers/factories.js'
import {
  logIn,
  RESULTS,
  type Person,
  unlabelledControls,
  startBrowserWorld,
  closeBrowserWorld,
} from '../helpers/browser.js'
import type { TestServer } from '../helpers/server.js'

describe('constituency register in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let handler: Person
  let viewer: Person
  let outsider: Person

  beforeAll(async () => {
    ;({ server, browser } = await startBrowserWorld())
    const h = await createUserWithPassword(server.store, { orgId: server.admin.orgId, role: 'handler' })
    handler = { email: h.user.email, password: h.password }
    const v = await createUserWithPassword(server.store, { orgId: server.admin.orgId, role: 'viewer' })
    viewer = { email: v.user.email, password: v.password }
    const o = await server.loginAsNewUser({ role: 'admin' })
    outsider = { email: o.email, password: o.password }
  })
  afterAll(async () => {
    await closeBrowserWorld(browser, server)
  })

  it('adds a constituent, looks an owner up, refuses a bad CSV naming row and column', async () => {
    const { context, page } = await logIn(browser, server.url, handler)
    const failed: string[] = []
    page.on('response', (response) => {
      const url = new URL(response.url())
      if (url.pathname.startsWith('/api/') && response.status() >= 500) {
        failed.push(`${response.status()} ${url.pathname}`)
      }
    })
    await page.getByRole('link', { name: 'Constituency' }).click()
    await page.getByRole('heading', { level: 1, name: 'Constituency' }).waitFor()
    await page.getByRole('button', { name: 'Add constituent' }).click()
    const form = page.getByTestId('constituent-form')
    await form.getByLabel('Name').fill('Example Hospital')
    await form.getByLabel('Abuse addresses').fill('cert@hospital.test, soc@hospital.test')
    await form.getByLabel('Netblocks').fill('198.51.100.0/24\n2001:db8:1::/48')
    await form.getByLabel('Domains').fill('hospital.test')
    expect(await unlabelledControls(page)).toEqual([])
    await form.getByRole('button', { name: 'Add constituent' }).click()
    const table = page.getByTestId('constituents-table')
    await table.getByRole('rowheader', { name: 'Example Hospital' }).waitFor()
    expect(await table.textContent()).toContain('2001:db8:1::/48')

    await page.getByLabel('Value').fill('www.hospital.test')
    await page.getByRole('button', { name: 'Look up' }).click()
    await expect.poll(() => page.getByTestId('lookup-result').textContent()).toContain('Example Hospital')

    await page.locator('input[type="file"]').setInputFiles({
      name: 'register.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'name,abuse_email,netblocks\nGood,abuse@good.test,203.0.113.0/24\nBad,abuse@bad.test,203.0.113.0/33\n',
      ),
    })
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await expect
      .poll(() => page.getByRole('alert').first().textContent())
      .toContain('Row 3, column netblocks')
    expect(await table.textContent()).not.toContain('Good')
    await page.screenshot({ path: path.join(RESULTS, 'constituency.png'), fullPage: true })
    expect(failed).toEqual([])
    await context.close()
  })

  it('shows the register read-only to viewers and not at all to other organisations', async () => {
    const debugContext = await browser.newContext()
    const debugPage = await debugContext.newPage()
    await debugPage.goto(`${server.url}/login`)
    await new Promise((r) => setTimeout(r, 2000))
    console.log('DEBUG', debugPage.url(), (await debugPage.content()).slice(0, 3000))
    await debugContext.close()
    const asViewer = await logIn(browser, server.url, viewer)
    await asViewer.page.getByRole('link', { name: 'Constituency' }).click()
    await asViewer.page.getByTestId('constituents-table').waitFor()
    expect(await asViewer.page.getByRole('button', { name: 'Add constituent' }).count()).toBe(0)
    expect(await asViewer.page.getByRole('button', { name: /^Edit / }).count()).toBe(0)
    await asViewer.context.close()

    const asOutsider = await logIn(browser, server.url, outsider)
    expect(await asOutsider.page.getByRole('link', { name: 'Constituency' }).count()).toBe(0)
    await asOutsider.page.goto(`${server.url}/constituency`)
    await asOutsider.page.waitForURL((location) => location.pathname === '/')
    await asOutsider.context.close()
  })
})
