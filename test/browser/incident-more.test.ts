import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Browser, Download, Page } from 'playwright-core'
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
import { ApiClient } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js'

/** Console errors and failed API calls of a page. */
function watch(page: Page): { consoleErrors: string[]; failedCalls: string[] } {
  const seen = { consoleErrors: [] as string[], failedCalls: [] as string[] }
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      seen.consoleErrors.push(msg.text())
    }
  })
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (url.pathname.startsWith('/api/') && response.status() >= 400) {
      seen.failedCalls.push(`${response.status()} ${url.pathname}`)
    }
  })
  return seen
}

/** Fails with the page's unlabelled controls, naming the page. */
async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(await unlabelledControls(page), where).toEqual([])
}

/** The text of a download. */
async function downloadText(download: Download): Promise<string> {
  return readFile(await download.path(), 'utf8')
}

interface IncidentAnswer {
  id: string
  title: string
  reportIds: string[]
  createdAt: string
  sla: { acknowledge: { dueAt: string }; resolve: { dueAt: string } }
}

describe('incident handling in Chromium: split, SLA targets, export, notification fields', () => {
  let sink: SmtpSink
  let server: TestServer
  let browser: Browser
  let handler: Person
  let handlerApi: ApiClient
  let coordinator: Person

  /** Files a report through the public API; answers its id and tracking id. */
  async function file(summary: string, description: string): Promise<{ id: string; trackingId: string }> {
    const res = await server.client().post<{ trackingId: string }>('/api/v1/reports', {
      reporter: { email: 'soc@clinic.example' },
      summary,
      description,
    })
    expect(res.status, res.text).toBe(201)
    const row = await server.store.db
      .selectFrom('reports')
      .select('id')
      .where('tracking_id', '=', res.body.trackingId)
      .executeTakeFirstOrThrow()
    return { id: row.id, trackingId: res.body.trackingId }
  }

  /** Opens an incident through the API as the handler. */
  async function openIncident(body: Record<string, unknown>): Promise<IncidentAnswer> {
    const res = await handlerApi.post<IncidentAnswer>('/api/v1/incidents', body)
    expect(res.status, res.text).toBe(201)
    return res.body
  }

  beforeAll(async () => {
    sink = await startSmtpSink()
    ;({ server, browser } = await startBrowserWorld({
      LIAISON_SMTP_RELAY: sink.url,
      LIAISON_REPORT_ADDRESS: 'cert@csirt.test',
    }))
    const h = await createUserWithPassword(server.store, {
      orgId: server.admin.orgId,
      role: 'handler',
      name: 'Hanna Handler',
    })
    handler = { email: h.user.email, password: h.password }
    handlerApi = new ApiClient(server.url)
    await handlerApi.login(handler.email, handler.password)
    const c = await createUserWithPassword(server.store, {
      orgId: server.admin.orgId,
      role: 'coordinator',
      name: 'Cora Coordinator',
    })
    coordinator = { email: c.user.email, password: c.password }
  })

  afterAll(async () => {
    await closeBrowserWorld(browser, server)
    await sink?.close()
  })

  it('splits a report off into a new incident and opens it with a notice', async () => {
    const stays = await file('Phishing mails to staff', 'Mails from 192.0.2.10 asking for passwords')
    const moves = await file('Web shell on the intranet', 'A web shell calls 192.0.2.99')
    const source = await openIncident({ title: 'Mixed reports', reportIds: [stays.id, moves.id] })

    const { context, page } = await logIn(browser, server.url, handler)
    const seen = watch(page)
    await page.goto(`${server.url}/incidents/${source.id}`)
    const reports = page.getByTestId('incident-reports')
    await expect.poll(() => reports.textContent()).toContain(moves.trackingId)
    await page.getByRole('button', { name: 'Split incident…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Split the incident' })
    const form = dialog.getByTestId('split-form')
    await form.waitFor()
    // Nothing chosen: the dialog says so instead of asking the server.
    await form.getByRole('button', { name: 'Split off' }).click()
    await expect.poll(() => form.textContent()).toContain('Choose at least one report to move.')
    await form.getByRole('checkbox', { name: moves.trackingId }).check()
    await form.getByLabel('Title of the new incident').fill('Web shell on the intranet')
    await expectAccessible(page, 'split dialog')
    await page.screenshot({ path: path.join(RESULTS, 'incident-split.png'), fullPage: true })
    await form.getByRole('button', { name: 'Split off' }).click()

    await page.waitForURL((location) => {
      const match = /^\/incidents\/([0-9a-f-]{36})$/.exec(location.pathname)
      return match !== null && match[1] !== source.id
    })
    const createdId = new URL(page.url()).pathname.split('/')[2] ?? ''
    await page.getByRole('heading', { level: 1, name: 'Web shell on the intranet' }).waitFor()
    const notice = page.getByTestId('split-notice')
    await expect.poll(() => notice.textContent()).toContain('1 report moved here from Mixed reports')
    const moved = page.getByTestId('incident-reports')
    await expect.poll(() => moved.textContent()).toContain(moves.trackingId)
    expect(await moved.textContent()).not.toContain(stays.trackingId)
    await expectAccessible(page, 'split-off incident')

    // The server agrees: the new incident holds the moved report, the old one keeps the other.
    const created = await handlerApi.get<IncidentAnswer>(`/api/v1/incidents/${createdId}`)
    expect(created.body.reportIds).toEqual([moves.id])
    const after = await handlerApi.get<IncidentAnswer>(`/api/v1/incidents/${source.id}`)
    expect(after.body.reportIds).toEqual([stays.id])

    // The notice links back; the source no longer lists the moved report, and the notice is gone.
    await notice.getByRole('link', { name: 'Mixed reports' }).click()
    await page.waitForURL((location) => location.pathname === `/incidents/${source.id}`)
    await expect
      .poll(() => page.getByTestId('incident-reports').textContent())
      .not.toContain(moves.trackingId)
    expect(await page.getByTestId('split-notice').count()).toBe(0)
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('shows handlers the SLA targets read-only; a coordinator changes them and new incidents follow', async () => {
    // A handler reads the targets but cannot change them.
    const asHandler = await logIn(browser, server.url, handler)
    await asHandler.page.goto(`${server.url}/incidents`)
    await asHandler.page.getByRole('button', { name: 'SLA targets' }).click()
    const readOnly = asHandler.page.getByRole('dialog', { name: /^SLA targets of / })
    const medium = readOnly.getByTestId('sla-policy').locator('tr[data-severity="medium"]')
    await expect.poll(() => medium.textContent()).toContain('8 h')
    expect(await readOnly.getByRole('button', { name: 'Change targets' }).count()).toBe(0)
    expect(await readOnly.textContent()).toContain('Admins and coordinators of your organisation')
    await expectAccessible(asHandler.page, 'SLA dialog, read-only')
    await asHandler.context.close()

    const { context, page } = await logIn(browser, server.url, coordinator)
    const seen = watch(page)
    await page.goto(`${server.url}/incidents`)
    await page.getByRole('button', { name: 'SLA targets' }).click()
    const dialog = page.getByRole('dialog', { name: /^SLA targets of / })
    await dialog.getByRole('button', { name: 'Change targets' }).click()
    const form = dialog.getByTestId('sla-form')
    const acknowledge = form.getByRole('textbox', { name: 'Medium: acknowledge within', exact: true })
    const resolve = form.getByRole('textbox', { name: 'Medium: resolve within', exact: true })
    expect(await acknowledge.inputValue()).toBe('8')
    expect(await resolve.inputValue()).toBe('168')

    // Bad values are named field by field, and nothing is sent.
    await acknowledge.fill('0')
    await resolve.fill('soon')
    await form.getByRole('button', { name: 'Save SLA targets' }).click()
    await expect.poll(() => form.textContent()).toContain('2 fields need a change before saving.')
    expect(await form.textContent()).toContain('Give a whole number greater than 0.')
    await acknowledge.fill('5')
    await resolve.fill('4')
    await form.getByRole('button', { name: 'Save SLA targets' }).click()
    await expect.poll(() => form.textContent()).toContain('Must not be shorter than the time to acknowledge.')
    await expectAccessible(page, 'SLA dialog, form with errors')
    await page.screenshot({ path: path.join(RESULTS, 'incident-sla-form.png'), fullPage: true })

    // 90 minutes to acknowledge, 10 hours to resolve.
    await acknowledge.fill('90')
    await form.getByLabel('Medium: acknowledge within, unit').selectOption('minutes')
    await resolve.fill('10')
    await form.getByRole('button', { name: 'Save SLA targets' }).click()
    const row = dialog.getByTestId('sla-policy').locator('tr[data-severity="medium"]')
    await expect.poll(() => row.textContent()).toContain('1 h 30 min')
    expect(await row.textContent()).toContain('10 h')
    await expectAccessible(page, 'SLA dialog after saving')
    await page.screenshot({ path: path.join(RESULTS, 'incident-sla.png'), fullPage: true })
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click()

    // A new medium incident runs on the new targets.
    const incident = await openIncident({ title: 'Defaced web site', severity: 'medium' })
    await page.goto(`${server.url}/incidents/${incident.id}`)
    const timers = page.getByTestId('sla-timers')
    await timers.waitFor()
    const opened = Date.parse(incident.createdAt)
    const due = async (name: string) =>
      Date.parse((await timers.locator('tr', { hasText: name }).getAttribute('data-due')) ?? '')
    expect(await due('Acknowledge')).toBe(opened + 90 * 60_000)
    expect(await due('Resolve')).toBe(opened + 10 * 3600_000)
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('exports the incidents matching the filters as a STIX bundle and as CSV', async () => {
    await openIncident({ title: 'Export: ransomware at the port', severity: 'critical' })
    await openIncident({ title: 'Export: spam run', severity: 'low' })

    const { context, page } = await logIn(browser, server.url, handler)
    const seen = watch(page)
    await page.goto(`${server.url}/incidents?severity=critical`)
    await page
      .getByTestId('incidents-table')
      .getByRole('link', { name: 'Export: ransomware at the port' })
      .waitFor()

    const exportAs = async (item: string): Promise<Download> => {
      await page.getByRole('button', { name: 'Export', exact: true }).click()
      const download = page.waitForEvent('download')
      await page.getByRole('menuitem', { name: item }).click()
      return download
    }

    const stix = await exportAs('STIX 2.1 bundle')
    expect(stix.suggestedFilename()).toBe('liaison-incidents.json')
    const bundle = JSON.parse(await downloadText(stix)) as {
      type: string
      objects: { type: string; name: string }[]
    }
    expect(bundle.type).toBe('bundle')
    expect(bundle.objects.length).toBeGreaterThan(0)
    expect(new Set(bundle.objects.map((o) => o.type))).toEqual(new Set(['incident']))
    const names = bundle.objects.map((o) => o.name)
    expect(names).toContain('Export: ransomware at the port')
    // The list's filter went with the download.
    expect(names).not.toContain('Export: spam run')

    const csv = await exportAs('CSV')
    expect(csv.suggestedFilename()).toBe('liaison-incidents.csv')
    const lines = (await downloadText(csv)).split('\r\n').filter((line) => line !== '')
    expect(lines[0]?.split(',').slice(0, 4)).toEqual(['id', 'title', 'status', 'severity'])
    expect(lines.some((line) => line.includes('Export: ransomware at the port'))).toBe(true)
    expect(lines.some((line) => line.includes('Export: spam run'))).toBe(false)
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('notifies owners with a reference and a TLP of the handler’s choosing', async () => {
    const registered = await handlerApi.post('/api/v1/constituency/constituents', {
      name: 'Example Water Works',
      abuseEmails: ['cert@water.test'],
      netblocks: ['203.0.113.0/24'],
    })
    expect(registered.status, registered.text).toBe(201)
    const report = await file('Malware beacon', 'A host at 203.0.113.45 beacons to a known C2 server')
    const incident = await openIncident({ title: 'Beaconing host', reportIds: [report.id] })

    const { context, page } = await logIn(browser, server.url, handler)
    const seen = watch(page)
    await page.goto(`${server.url}/incidents/${incident.id}?tab=notifications`)
    const form = page.getByTestId('notify-form')
    await form.waitFor()
    // Defaults: the incident's id as the reference, TLP:AMBER.
    expect(await form.getByLabel('Reference').inputValue()).toBe(incident.id)
    expect(await form.getByLabel('TLP').inputValue()).toBe('TLP:AMBER')
    await form.getByLabel('Reference').fill('')
    await form.getByRole('button', { name: 'Notify owners' }).click()
    await expect.poll(() => form.textContent()).toContain('Give a reference the owner can quote')
    await form.getByLabel('Reference').fill('CASE-42')
    await form.getByLabel('TLP').selectOption('TLP:GREEN')
    await expectAccessible(page, 'notify form')
    await form.getByRole('button', { name: 'Notify owners' }).click()
    await expect.poll(() => page.getByTestId('notify-result').textContent()).toContain('1 owner notified')

    const mails = await sink.waitFor(1)
    const mail = mails.find((m) => m.envelope.to.includes('cert@water.test'))
    expect(mail, 'a mail to the water works').toBeDefined()
    expect(mail?.parsed.subject ?? '').toContain('[TLP:GREEN] [CASE-42]')
    expect(mail?.parsed.text ?? '').toContain('Incident reference: CASE-42')
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })
})
