import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
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

/** A `datetime-local` value (the browser's and this process's zone: the same machine) for an instant. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** Fails with the page's unlabelled controls, naming the page. */
async function expectAccessible(page: Page, where: string): Promise<void> {
  expect(await unlabelledControls(page), where).toEqual([])
}

describe('incident handling in Chromium: report, triage, incident, NIS2, notify', () => {
  let sink: SmtpSink
  let server: TestServer
  let browser: Browser
  let handler: Person
  let handlerApi: ApiClient
  let analyst: Person

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
    const other = await createOrg(server.store, { name: 'Sector CSIRT' })
    const a = await createUserWithPassword(server.store, { orgId: other.id, role: 'analyst' })
    analyst = { email: a.user.email, password: a.password }
  })

  afterAll(async () => {
    await closeBrowserWorld(browser, server)
    await sink?.close()
  })

  it('takes a report through triage into an incident, classifies it, runs the NIS2 clock and notifies the owner', async () => {
    // A reporter without an account reports scanning from an address of a constituent.
    const reporterContext = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const reporterPage = await reporterContext.newPage()
    const reporterSeen = watch(reporterPage)
    await reporterPage.goto(`${server.url}/report`)
    const form = reporterPage.getByTestId('report-form')
    await form.waitFor()
    await form.getByLabel('Name').fill('Ann Reporter')
    await form.getByLabel('E-mail').fill('ann@example.org')
    await form.getByLabel('What happened').fill('Brute force against our VPN')
    await form.getByLabel('Details').fill('Thousands of login attempts from 198.51.100.23 since 09:00.')
    await form.getByRole('button', { name: 'Send report' }).click()
    const trackingId = (await reporterPage.getByTestId('tracking-id').textContent()) ?? ''
    expect(trackingId).toMatch(/^LSN-/)
    expect(reporterSeen.failedCalls).toEqual([])
    await reporterContext.close()

    // The constituency register knows who owns the address (set up through the API).
    const registered = await handlerApi.post('/api/v1/constituency/constituents', {
      name: 'Example Hospital',
      abuseEmails: ['cert@hospital.test'],
      netblocks: ['198.51.100.0/24'],
    })
    expect(registered.status, registered.text).toBe(201)

    // A handler sees the report in the triage queue and makes an incident of it.
    const { context, page } = await logIn(browser, server.url, handler)
    const seen = watch(page)
    const nav = page.getByRole('navigation', { name: 'Main navigation' })
    await nav.getByRole('link', { name: 'Reports', exact: true }).click()
    await page.waitForURL((location) => location.pathname === '/reports')
    const row = page.getByTestId(`report-row-${trackingId}`)
    await row.waitFor()
    await expect.poll(() => row.textContent()).toContain('None')
    await expectAccessible(page, 'triage queue')
    await page.screenshot({ path: path.join(RESULTS, 'incident-triage.png'), fullPage: true })
    await row.getByRole('checkbox', { name: `Select ${trackingId}` }).check()
    const bar = page.getByTestId('triage-bar')
    await expect.poll(() => bar.textContent()).toContain('1 report selected')
    await bar.getByRole('button', { name: 'New incident from selected' }).click()
    const dialog = page.getByRole('dialog', { name: 'New incident from reports' })
    const incidentForm = dialog.getByTestId('incident-form')
    await incidentForm.waitFor()
    expect(await incidentForm.getByRole('textbox', { name: 'Title', exact: true }).inputValue()).toBe(
      'Brute force against our VPN',
    )
    await incidentForm.getByLabel('Severity').selectOption('high')
    await expectAccessible(page, 'new incident dialog')
    await incidentForm.getByRole('button', { name: 'Create incident' }).click()
    await page.waitForURL((location) => /^\/incidents\/[0-9a-f-]{36}$/.test(location.pathname))
    const incidentId = new URL(page.url()).pathname.split('/')[2] ?? ''
    await page.getByRole('heading', { level: 1, name: 'Brute force against our VPN' }).waitFor()
    await expect.poll(() => page.getByTestId('incident-reports').textContent()).toContain(trackingId)
    await expectAccessible(page, 'incident overview')

    // Classification (RSIT) and the workflow.
    await page.getByRole('button', { name: 'Edit details' }).click()
    const details = page.getByTestId('details-form')
    await details.getByLabel('RSIT class').selectOption('intrusion-attempts')
    await details.getByLabel('Incident type').selectOption('brute-force')
    await details.getByLabel('Assignee').selectOption({ label: 'Hanna Handler' })
    await expectAccessible(page, 'incident details form')
    await details.getByRole('button', { name: 'Save changes' }).click()
    await expect
      .poll(() => page.getByTestId('incident-rsit').textContent())
      .toBe('Intrusion Attempts / Login attempts')
    expect(await page.getByTestId('incident-assignee').textContent()).toBe('Assigned to Hanna Handler (you)')
    expect(await page.getByRole('button', { name: 'Mark resolved' }).count()).toBe(0)
    await page.getByRole('button', { name: 'Start triage' }).click()
    await expect.poll(() => page.getByTestId('incident-status').first().textContent()).toBe('Triage')
    await page.getByRole('button', { name: 'Start handling' }).click()
    await expect.poll(() => page.getByTestId('incident-status').first().textContent()).toBe('In progress')

    // NIS2: significant, aware four days ago: the early warning and the notification are overdue.
    await page.getByRole('tab', { name: 'NIS2' }).click()
    const nis2 = page.getByTestId('nis2-form')
    await nis2.getByLabel('Significant incident (Art. 23(3))').selectOption('yes')
    // Choosing "significant" suggests now as the awareness time; the entity knew earlier.
    expect(await nis2.getByLabel('Aware since').inputValue()).not.toBe('')
    await nis2.getByLabel('Aware since').fill(localInput(new Date(Date.now() - 4 * 24 * 3600_000)))
    await nis2.getByLabel('Suspected unlawful or malicious act').selectOption('yes')
    await nis2.getByRole('button', { name: 'Save NIS2 facts' }).click()
    const deadlines = page.getByTestId('nis2-deadlines')
    await deadlines.waitFor()
    const earlyWarning = deadlines.locator('tr[data-stage="early-warning"]')
    const notification = deadlines.locator('tr[data-stage="notification"]')
    await expect.poll(() => earlyWarning.getAttribute('data-status')).toBe('overdue')
    expect(await notification.getAttribute('data-status')).toBe('overdue')
    expect(await earlyWarning.textContent()).toContain('24 h after awareness')
    expect(await deadlines.locator('tr[data-stage="final"]').getAttribute('data-status')).toBe('due')
    await expectAccessible(page, 'NIS2 panel')
    await page.screenshot({ path: path.join(RESULTS, 'incident-nis2.png'), fullPage: true })

    // The early warning, generated as a readable document with what it still lacks.
    await earlyWarning.getByRole('link', { name: 'Generate the early warning' }).click()
    await page.waitForURL((location) => location.pathname === `/incidents/${incidentId}/nis2/early-warning`)
    await page.getByRole('heading', { level: 1, name: 'Early warning' }).waitFor()
    await expect.poll(() => page.getByTestId('nis2-tlp').textContent()).toBe('TLP:AMBER')
    await expect.poll(() => page.getByTestId('nis2-missing').textContent()).toContain('cross-border impact')
    expect(await page.getByTestId('nis2-document').textContent()).toContain('Yes')
    await expectAccessible(page, 'NIS2 document')
    await page.screenshot({ path: path.join(RESULTS, 'incident-nis2-document.png'), fullPage: true })
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download JSON' }).click()
    expect((await download).suggestedFilename()).toBe(`nis2-early-warning-${incidentId}.json`)
    await page.getByRole('link', { name: 'Back to the incident' }).click()
    await page.waitForURL((location) => location.pathname === `/incidents/${incidentId}`)

    // Submitted now: met, but late.
    await earlyWarning.getByRole('button', { name: 'Mark the early warning submitted' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Record submission' }).click()
    await expect.poll(() => earlyWarning.getAttribute('data-status')).toBe('met')
    expect(await earlyWarning.textContent()).toContain('Submitted (late)')

    // A task, overdue from the start, then done.
    await page.getByRole('tab', { name: 'Tasks' }).click()
    const taskForm = page.getByTestId('task-form')
    await taskForm.getByRole('textbox', { name: 'Task', exact: true }).fill('Call the hospital')
    await taskForm.getByLabel('Due', { exact: true }).fill(localInput(new Date(Date.now() - 3600_000)))
    await expectAccessible(page, 'tasks panel')
    await taskForm.getByRole('button', { name: 'Add task' }).click()
    const task = page.getByTestId('task-row').filter({ hasText: 'Call the hospital' })
    await expect.poll(() => task.getAttribute('data-overdue')).toBe('true')
    expect(await task.textContent()).toContain('Overdue')
    // The box follows the server's answer, so it is clicked rather than checked.
    await task.getByRole('checkbox', { name: 'Done: Call the hospital' }).click()
    await expect.poll(() => task.getAttribute('data-done')).toBe('true')

    // A note under its own label, shared with the incident.
    await page.getByRole('tab', { name: 'Notes' }).click()
    const noteForm = page.getByTestId('note-form')
    await noteForm
      .getByRole('textbox', { name: 'Note', exact: true })
      .fill('The hospital blocked the address at its firewall.')
    await noteForm.getByRole('radio', { name: 'TLP:GREEN', exact: true }).check()
    await noteForm.getByRole('checkbox', { name: 'Share with the incident' }).check()
    await expectAccessible(page, 'notes panel')
    await noteForm.getByRole('button', { name: 'Add note' }).click()
    const note = page.getByTestId('note').filter({ hasText: 'The hospital blocked the address' })
    await note.waitFor()
    expect(await note.textContent()).toContain('TLP:GREEN')
    expect(await note.textContent()).toContain('Shared with the incident')
    expect(await note.textContent()).toContain('Hanna Handler (you)')

    // The report's address is linked to the incident; one more observable by value.
    await page.getByRole('tab', { name: 'Observables' }).click()
    const links = page.getByTestId('links-table')
    await expect.poll(() => links.textContent()).toContain('198.51.100.23')
    await page.getByLabel('Observable or STIX id').fill('bruteforce-tool.net')
    await page.getByRole('button', { name: 'Link', exact: true }).click()
    await expect.poll(() => links.textContent()).toContain('bruteforce-tool.net')
    await expectAccessible(page, 'observables panel')

    // Notify owners: the hospital gets one mail about its address.
    await page.getByRole('tab', { name: 'Notifications' }).click()
    await expectAccessible(page, 'notifications panel')
    await page.getByTestId('notify-form').getByRole('button', { name: 'Notify owners' }).click()
    const result = page.getByTestId('notify-result')
    await expect.poll(() => result.textContent()).toContain('1 owner notified')
    expect(await result.textContent()).toContain('Example Hospital')
    const mails = await sink.waitFor(1)
    const mail = mails.find((m) => m.envelope.to.includes('cert@hospital.test'))
    expect(mail, 'a mail to the hospital').toBeDefined()
    expect(mail?.parsed.text ?? '').toContain('198.51.100.23')
    expect(mail?.parsed.text ?? '').not.toContain('bruteforce-tool.net')
    await expect
      .poll(() => page.getByTestId('notifications-table').textContent())
      .toContain('cert@hospital.test')
    await page.screenshot({ path: path.join(RESULTS, 'incident-notify.png'), fullPage: true })

    // The timeline says who did what.
    await page.getByRole('tab', { name: 'Timeline' }).click()
    const timeline = page.getByTestId('timeline')
    await expect.poll(() => timeline.textContent()).toContain('Notified owners')
    await page.screenshot({ path: path.join(RESULTS, 'incident-timeline.png'), fullPage: true })
    const text = (await timeline.textContent()) ?? ''
    expect(text).toContain('Created the incident')
    expect(text).toContain('Triage → In progress')
    expect(text).toContain('Recorded a NIS2 submission')
    expect(text).toContain('Hanna Handler (you)')

    // The list finds it by its classification and its overdue NIS2 deadline, not by another severity.
    await nav.getByRole('link', { name: 'Incidents', exact: true }).click()
    await page.waitForURL((location) => location.pathname === '/incidents')
    const table = page.getByTestId('incidents-table')
    await table.getByRole('link', { name: 'Brute force against our VPN' }).waitFor()
    await page.getByLabel('RSIT class').selectOption('intrusion-attempts')
    await page.getByRole('checkbox', { name: 'NIS2 deadline overdue' }).check()
    await page.waitForURL((location) => location.search.includes('nis2Overdue=true'))
    await expect.poll(() => page.getByTestId('incidents-total').textContent()).toBe('1 incident')
    await page.getByLabel('Severity').selectOption('low')
    await expect.poll(() => page.getByTestId('incidents-total').textContent()).toBe('0 incidents')
    expect(new URL(page.url()).searchParams.get('rsitClass')).toBe('intrusion-attempts')
    await expectAccessible(page, 'incident list')
    await page.getByLabel('Severity').selectOption('')
    await expect.poll(() => page.getByTestId('incidents-total').textContent()).toBe('1 incident')
    await page.screenshot({ path: path.join(RESULTS, 'incident-list.png'), fullPage: true })

    // The home page puts the overdue notification in front of the handler.
    await nav.getByRole('link', { name: 'Home', exact: true }).click()
    const overdue = page.getByTestId('nis2-overdue')
    await expect.poll(() => overdue.textContent()).toContain('Brute force against our VPN')
    expect(await overdue.textContent()).toContain('Incident notification')
    await expect
      .poll(() => page.getByTestId('triage-waiting').textContent())
      .toContain('Open the triage queue')
    await expectAccessible(page, 'home')
    await page.screenshot({ path: path.join(RESULTS, 'incident-home.png'), fullPage: true })

    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('points at a duplicate and its incident, and merges the new report into that incident', async () => {
    const file = async (summary: string): Promise<{ id: string; trackingId: string }> => {
      const res = await server.client().post<{ trackingId: string }>('/api/v1/reports', {
        reporter: { email: 'soc@clinic.example' },
        summary,
        description: 'Port scans from 203.0.113.77 all night',
      })
      expect(res.status, res.text).toBe(201)
      const row = await server.store.db
        .selectFrom('reports')
        .select('id')
        .where('tracking_id', '=', res.body.trackingId)
        .executeTakeFirstOrThrow()
      return { id: row.id, trackingId: res.body.trackingId }
    }
    const first = await file('Scanning, first night')
    const second = await file('Scanning, second night')
    const created = await handlerApi.post<{ id: string }>('/api/v1/incidents', {
      title: 'Scanning from 203.0.113.77',
      reportIds: [first.id],
    })
    expect(created.status, created.text).toBe(201)

    const { context, page } = await logIn(browser, server.url, handler)
    const seen = watch(page)
    await page.goto(`${server.url}/reports`)
    const row = page.getByTestId(`report-row-${second.trackingId}`)
    await expect.poll(() => row.getByTestId('report-hints').textContent()).toContain(first.trackingId)
    expect(await row.getByTestId('report-hints').textContent()).toContain('ipv4:203.0.113.77')
    await row.getByRole('link', { name: second.trackingId }).click()
    await page.waitForURL((location) => location.pathname === `/reports/${second.id}`)
    const hints = page.getByTestId('hints-table')
    await expect.poll(() => hints.textContent()).toContain('same reporter')
    await page.getByRole('button', { name: 'Merge into incident…' }).click()
    const dialog = page.getByTestId('merge-dialog')
    // The incident the duplicate is in is offered first, already chosen.
    await expect
      .poll(() => dialog.getByRole('combobox', { name: 'Incident', exact: true }).inputValue())
      .toContain('Scanning from 203.0.113.77')
    await expectAccessible(page, 'merge dialog')
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click()
    await page.waitForURL((location) => location.pathname === `/incidents/${created.body.id}`)
    const reports = page.getByTestId('incident-reports')
    await expect.poll(() => reports.textContent()).toContain(second.trackingId)
    await expect.poll(() => reports.textContent()).toContain(first.trackingId)
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })

  it('shows a participant organisation the incident without the owner’s controls', async () => {
    const created = await handlerApi.post<{ id: string }>('/api/v1/incidents', {
      title: 'Shared phishing wave',
      rsitClass: 'fraud',
      rsitType: 'phishing',
    })
    expect(created.status, created.text).toBe(201)
    const orgs = await handlerApi.get<{ items: { id: string; name: string }[] }>(
      '/api/v1/organisations?limit=500',
    )
    const sector = orgs.body.items.find((o) => o.name === 'Sector CSIRT')
    const shared = await handlerApi.request('PUT', `/api/v1/incidents/${created.body.id}/sharing`, {
      label: { tlp: 'amber', audience: 'org' },
      participants: [sector?.id ?? ''],
      reason: 'they handle the sector',
    })
    expect(shared.status, shared.text).toBe(200)

    const { context, page } = await logIn(browser, server.url, analyst)
    const seen = watch(page)
    await page.goto(`${server.url}/incidents/${created.body.id}`)
    await page.getByRole('heading', { level: 1, name: 'Shared phishing wave' }).waitFor()
    await expect.poll(() => page.getByText('Shared with you').isVisible()).toBe(true)
    // No workflow, no editing, no tasks or notifications tabs for a participant.
    expect(await page.getByRole('button', { name: 'Start triage' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Edit details' }).count()).toBe(0)
    expect(await page.getByRole('tab', { name: 'Tasks' }).count()).toBe(0)
    expect(await page.getByRole('tab', { name: 'Notifications' }).count()).toBe(0)
    await page.getByRole('tab', { name: 'Observables' }).click()
    expect(await page.getByLabel('Observable or STIX id').count()).toBe(0)
    await page.getByRole('tab', { name: 'Sharing' }).click()
    expect(await page.getByTestId('sharing-form').count()).toBe(0)
    await expectAccessible(page, 'participant view')
    expect(seen.consoleErrors).toEqual([])
    expect(seen.failedCalls).toEqual([])
    await context.close()
  })
})
