import { createHash } from 'node:crypto'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
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

/** Console errors and failed API calls of a page, apart from the expected 401 of an anonymous visitor. */
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

describe('incident reports in Chromium: public form, status link, triage queue', () => {
  let server: TestServer
  let browser: Browser
  let handler: Person
  let constituent: Person & { name: string }

  beforeAll(async () => {
    ;({ server, browser } = await startBrowserWorld())
    const h = await createUserWithPassword(server.store, { orgId: server.admin.orgId, role: 'handler' })
    handler = { email: h.user.email, password: h.password }
    const c = await server.loginAsNewUser({ role: 'analyst' })
    constituent = { email: c.email, password: c.password, name: 'Test User' }
  })

  afterAll(async () => {
    await closeBrowserWorld(browser, server)
  })

  it('takes a report without an account, shows its status to the link holder, and queues it for handlers', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    const seen = watch(page)
    await page.goto(`${server.url}/report`)
    const form = page.getByTestId('report-form')
    await form.waitFor()
    expect(await unlabelledControls(page)).toEqual([])

    // Missing fields are named before anything is sent.
    await form.getByRole('button', { name: 'Send report' }).click()
    await expect.poll(() => form.getByText('Say in a line what happened.').isVisible()).toBe(true)

    const script = '<script>window.pwned = true</script>'
    const evidence = Buffer.from('Received: from mx.bad-actor.com\nSubject: invoice\n')
    await form.getByLabel('Name').fill('Ann Reporter')
    await form.getByLabel('E-mail').fill('ann@example.org')
    await form.getByLabel('What happened').fill(`Phishing wave ${script}`)
    await form.getByLabel('Affected systems').fill('mail gateway')
    await form.getByLabel('Details').fill('Links to hxxps://login-update[.]com/verify from 198.51.100[.]23')
    await form.locator('input[type="file"]').setInputFiles({
      name: 'headers.txt',
      mimeType: 'text/plain',
      buffer: evidence,
    })
    await form
      .getByLabel('Is your organisation an essential or important entity under NIS2?')
      .selectOption('important')
    await form.getByLabel('Do you suspect an unlawful or malicious act?').selectOption('yes')
    await form.getByRole('button', { name: 'Send report' }).click()

    const trackingId = (await page.getByTestId('tracking-id').textContent()) ?? ''
    expect(trackingId).toMatch(/^LSN-[0-9A-HJKMNP-TV-Z]{8}$/)
    const statusUrl = (await page.getByTestId('status-link').getAttribute('href')) ?? ''
    expect(statusUrl.startsWith(`${server.url}/report/status/${trackingId}#token=`)).toBe(true)
    await page.screenshot({ path: path.join(RESULTS, 'report-receipt.png'), fullPage: true })

    // The status link: the report, its file with its SHA-256; the reporter adds information.
    await page.goto(statusUrl)
    await expect.poll(() => page.getByTestId('report-status').textContent()).toBe('New')
    await expect.poll(() => page.getByText(`Phishing wave ${script}`).isVisible()).toBe(true)
    expect(await page.evaluate(() => (window as unknown as { pwned?: boolean }).pwned)).toBeUndefined()
    await expect
      .poll(() => page.getByText(createHash('sha256').update(evidence).digest('hex')).isVisible())
      .toBe(true)
    expect(await unlabelledControls(page)).toEqual([])
    await page.getByRole('textbox', { name: 'Message' }).fill('The mails stopped at 10:00.')
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('messages').getByText('The mails stopped at 10:00.').isVisible())
      .toBe(true)

    // A link with a wrong token shows nothing of the report.
    const other = await context.newPage()
    await other.goto(`${server.url}/report/status/${trackingId}#token=${'A'.repeat(43)}`)
    await expect.poll(() => other.getByText('Report not found').isVisible()).toBe(true)
    expect(await other.getByText('Phishing wave').count()).toBe(0)
    await other.close()

    // A handler of the instance finds it in the queue, triages it and answers.
    const asHandler = await logIn(browser, server.url, handler)
    const handlerSeen = watch(asHandler.page)
    const nav = asHandler.page.getByRole('navigation', { name: 'Main navigation' })
    await nav.getByRole('link', { name: 'Reports', exact: true }).click()
    await asHandler.page.waitForURL((location) => location.pathname === '/reports')
    const table = asHandler.page.getByTestId('reports-table')
    await table.getByRole('link', { name: trackingId }).click()
    await asHandler.page.waitForURL((location) => location.pathname.startsWith('/reports/'))
    await expect.poll(() => asHandler.page.getByText('ipv4:198.51.100.23').isVisible()).toBe(true)
    await expect.poll(() => asHandler.page.getByRole('link', { name: 'headers.txt' }).isVisible()).toBe(true)
    expect(await unlabelledControls(asHandler.page)).toEqual([])
    await asHandler.page.getByRole('button', { name: 'Mark triaged' }).click()
    await expect.poll(() => asHandler.page.getByTestId('report-status').textContent()).toBe('Triaged')
    await asHandler.page
      .getByRole('textbox', { name: 'Answer the reporter' })
      .fill('Thank you, we are on it.')
    await asHandler.page.getByRole('button', { name: 'Send answer' }).click()
    await expect.poll(() => asHandler.page.getByText('Thank you, we are on it.').isVisible()).toBe(true)
    await asHandler.page.screenshot({ path: path.join(RESULTS, 'report-triage.png'), fullPage: true })
    expect(handlerSeen.consoleErrors).toEqual([])
    expect(handlerSeen.failedCalls).toEqual([])
    await asHandler.context.close()

    // The reporter sees the new status and the answer.
    await page.reload()
    await expect.poll(() => page.getByTestId('report-status').textContent()).toBe('Triaged')
    await expect.poll(() => page.getByText('Thank you, we are on it.').isVisible()).toBe(true)
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('lets a signed-in constituent reach the same form with their contact filled in', async () => {
    const { context, page } = await logIn(browser, server.url, constituent)
    const seen = watch(page)
    const nav = page.getByRole('navigation', { name: 'Main navigation' })
    // Not a handler of the receiving organisation: no triage queue in the navigation.
    expect(await nav.getByRole('link', { name: 'Reports', exact: true }).count()).toBe(0)
    await nav.getByRole('link', { name: 'Report an incident' }).click()
    await page.waitForURL((location) => location.pathname === '/report')
    const form = page.getByTestId('report-form')
    await expect.poll(() => form.getByLabel('E-mail').inputValue()).toBe(constituent.email)
    await form.getByLabel('What happened').fill('Scanning from our own range')
    await form.getByRole('button', { name: 'Send report' }).click()
    const trackingId = (await page.getByTestId('tracking-id').textContent()) ?? ''
    expect(trackingId).toMatch(/^LSN-/)
    const row = await server.store.db
      .selectFrom('reports')
      .select(['reporter_user_id', 'reporter_email'])
      .where('tracking_id', '=', trackingId)
      .executeTakeFirstOrThrow()
    expect(row.reporter_email).toBe(constituent.email)
    expect(row.reporter_user_id).not.toBeNull()
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })
})
