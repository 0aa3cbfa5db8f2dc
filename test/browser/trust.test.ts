import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrg, createUserWithPassword } from '../helpers/factories.js'
import { ApiClient } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import {
  pickOption,
  logIn,
  RESULTS,
  type Person,
  unlabelledControls,
  startBrowserWorld,
  closeBrowserWorld,
} from '../helpers/browser.js'

describe('trust in Chromium: sharing groups and labelled knowledge', () => {
  let server: TestServer
  let browser: Browser
  let alpha: Person & { orgName: string }
  let beta: Person & { orgName: string }
  let gamma: Person

  beforeAll(async () => {
    ;({ server, browser } = await startBrowserWorld())
    const orgA = await createOrg(server.store, { name: 'CERT Alpha', type: 'national-csirt', country: 'BE' })
    const orgB = await createOrg(server.store, { name: 'Energy ISAC Beta', type: 'isac', sector: 'energy' })
    const orgC = await createOrg(server.store, { name: 'Gamma CSIRT', type: 'sector-csirt' })
    // Sharing groups are created by admins and coordinators of their organisation, not by analysts.
    const a = await createUserWithPassword(server.store, {
      orgId: orgA.id,
      role: 'coordinator',
      name: 'Ada Alpha',
    })
    const b = await createUserWithPassword(server.store, {
      orgId: orgB.id,
      role: 'analyst',
      name: 'Ben Beta',
    })
    const c = await createUserWithPassword(server.store, {
      orgId: orgC.id,
      role: 'analyst',
      name: 'Cy Gamma',
    })
    alpha = { email: a.user.email, password: a.password, orgName: orgA.name }
    beta = { email: b.user.email, password: b.password, orgName: orgB.name }
    gamma = { email: c.user.email, password: c.password }
  })
  afterAll(async () => {
    await closeBrowserWorld(browser, server)
  })

  it('shares a TLP:AMBER document with a sharing group, and only its members see it', async () => {
    const { context, page } = await logIn(browser, server.url, alpha)
    const consoleErrors: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        consoleErrors.push(msg.text())
      }
    })

    // The directory comes right after Home in the navigation.
    const nav = page.getByRole('navigation', { name: 'Main navigation' })
    const links = await nav.getByRole('link').allTextContents()
    expect(links.slice(0, 2)).toEqual(['Home', 'Directory'])

    // A sharing group with Beta as a member.
    await nav.getByRole('link', { name: 'Sharing' }).click()
    await page.waitForURL((location) => location.pathname === '/sharing')
    const groupForm = page.getByTestId('create-group-form')
    await groupForm.getByLabel('Name', { exact: true }).fill('Energy circle')
    await groupForm.getByLabel('Description').fill('Operators and responders of the energy sector.')
    await pickOption(page, 'Member organisations', beta.orgName)
    expect(await unlabelledControls(page)).toEqual([])
    await groupForm.getByRole('button', { name: 'Create sharing group' }).click()
    await expect.poll(() => page.getByTestId('groups-table').textContent()).toContain('Energy circle')
    const groupRow = page.getByTestId('groups-table').getByRole('row', { name: /Energy circle/ })
    await expect.poll(() => groupRow.textContent()).toMatch(/CERT Alpha.*2.*Owner/)

    // A document under TLP:AMBER for that group.
    await page.goto(`${server.url}/knowledge`)
    await page.getByRole('link', { name: 'New document' }).click()
    await page.waitForURL((location) => location.pathname === '/knowledge/new')
    const docForm = page.getByTestId('document-form')
    await docForm.getByLabel('Title').fill('Grid incident playbook')
    await docForm.getByLabel('Body').fill('1. Isolate the OT network.\n2. Call the <b>duty officer</b>.')
    const submit = docForm.getByRole('button', { name: 'Create document' })

    // Public needs TLP:CLEAR: with TLP:AMBER it is disabled with the reason, and if it was chosen before
    // the TLP went up, the picker lists the broken rule and the form cannot be submitted.
    const publicAudience = page.getByRole('radio', { name: 'Public', exact: true })
    expect(await publicAudience.isDisabled()).toBe(true)
    await page.getByRole('radio', { name: 'TLP:CLEAR', exact: true }).check()
    expect(await publicAudience.isDisabled()).toBe(false)
    await publicAudience.check()
    await expect.poll(() => page.getByTestId('label-summary').textContent()).toMatch(/anyone/i)
    expect(await page.getByTestId('label-problems').count()).toBe(0)
    await page.getByRole('radio', { name: 'TLP:AMBER', exact: true }).check()
    await expect
      .poll(() => page.getByTestId('label-problems').textContent())
      .toMatch(/public needs TLP:CLEAR/i)
    expect(await page.getByTestId('label-problems').getAttribute('role')).toBe('alert')
    expect(await submit.isDisabled()).toBe(true)

    await page.getByRole('radio', { name: 'Sharing groups', exact: true }).check()
    await expect
      .poll(() => page.getByTestId('label-problems').textContent())
      .toMatch(/at least one sharing group/i)
    await pickOption(page, 'Groups that receive it', 'Energy circle')
    await expect.poll(() => page.getByTestId('label-problems').count()).toBe(0)
    const summary = (await page.getByTestId('label-summary').textContent()) ?? ''
    expect(summary).toContain('Visible to CERT Alpha and the members of Energy circle')
    expect(summary).toContain('TLP:AMBER')
    expect(await submit.isDisabled()).toBe(false)
    expect(await unlabelledControls(page)).toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'knowledge-label-picker.png'), fullPage: true })

    await submit.click()
    await page.waitForURL((location) => /^\/knowledge\/[0-9a-f-]{36}$/.test(location.pathname))
    const documentUrl = page.url()
    await expect
      .poll(() => page.getByTestId('document-label-summary').textContent())
      .toContain('Energy circle')
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Grid incident playbook')
    // The body is shown as written, never as HTML.
    expect(await page.getByTestId('document-body').textContent()).toContain('<b>duty officer</b>')
    expect(await page.getByTestId('document-body').locator('b').count()).toBe(0)
    await page.screenshot({ path: path.join(RESULTS, 'knowledge-label.png'), fullPage: true })
    expect(consoleErrors).toEqual([])
    await context.close()

    // Beta is in the group: it sees the document, and cannot change it.
    const asBeta = await logIn(browser, server.url, beta)
    await asBeta.page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Knowledge' })
      .click()
    await expect
      .poll(() => asBeta.page.getByTestId('documents-table').textContent())
      .toContain('Grid incident playbook')
    await asBeta.page.getByRole('link', { name: 'Grid incident playbook' }).click()
    await expect
      .poll(() => asBeta.page.getByTestId('document-label-summary').textContent())
      .toContain('Visible to CERT Alpha and the members of Energy circle')
    expect(await asBeta.page.getByRole('button', { name: 'Change label' }).count()).toBe(0)
    await asBeta.context.close()

    // Gamma is not: the document is neither listed nor reachable by its address.
    const asGamma = await logIn(browser, server.url, gamma)
    await asGamma.page.goto(`${server.url}/knowledge`)
    await expect.poll(() => asGamma.page.getByTestId('documents-total').textContent()).toMatch(/^0 documents/)
    expect(await asGamma.page.getByText('Grid incident playbook').count()).toBe(0)
    await asGamma.page.goto(documentUrl)
    await expect.poll(() => asGamma.page.getByTestId('not-found').textContent()).toMatch(/not found/i)
    expect(await asGamma.page.getByText('Grid incident playbook').count()).toBe(0)
    await asGamma.context.close()
  })

  it('edits a directory profile, hides a group membership, and downgrades then names recipients', async () => {
    const orgD = await createOrg(server.store, { name: 'CERT Delta', type: 'gov-csirt', country: 'NL' })
    const orgE = await createOrg(server.store, {
      name: 'Epsilon Grid',
      type: 'constituent',
      sector: 'energy',
    })
    const d = await createUserWithPassword(server.store, {
      orgId: orgD.id,
      role: 'admin',
      name: 'Dora Delta',
    })
    const e = await createUserWithPassword(server.store, {
      orgId: orgE.id,
      role: 'analyst',
      name: 'Eve Epsilon',
    })
    const viewer = await createUserWithPassword(server.store, {
      orgId: orgD.id,
      role: 'viewer',
      name: 'Vic Delta',
    })
    // Data that is not the subject of this test is made through the API.
    const api = new ApiClient(server.url)
    await api.login(d.user.email, d.password)
    const group = await api.post<{ id: string }>('/api/v1/groups', {
      name: 'Delta trust circle',
      memberOrgIds: [orgE.id],
    })
    expect(group.status).toBe(201)
    const doc = await api.post<{ id: string }>('/api/v1/knowledge/documents', {
      title: 'Phishing triage form',
      kind: 'form',
      body: 'Sender:\nSubject:\n',
      label: { tlp: 'amber', audience: 'group', sharingGroups: [group.body.id] },
    })
    expect(doc.status).toBe(201)

    const { context, page } = await logIn(browser, server.url, { email: d.user.email, password: d.password })
    const consoleErrors: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        consoleErrors.push(msg.text())
      }
    })

    // The directory and the organisation's own profile, with its private part.
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Directory' })
      .click()
    await expect.poll(() => page.getByTestId('directory-table').textContent()).toContain('Epsilon Grid')
    await page.getByTestId('directory-table').getByRole('link', { name: 'CERT Delta' }).click()
    await page.getByRole('button', { name: 'Edit profile' }).click()
    const profile = page.getByTestId('profile-form')
    await profile.getByLabel('Security contact').fill('cert@delta.example')
    await profile.getByLabel('Website').fill('https://delta.example')
    await profile
      .getByLabel('OpenPGP public key')
      .fill('-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZtest\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----')
    await profile.getByLabel('Internal contact').fill('+31 70 555 0100')
    await profile.getByLabel('Internal notes').fill('Duty roster in the wiki.')
    expect(await unlabelledControls(page)).toEqual([])
    await profile.getByRole('button', { name: 'Save profile' }).click()
    await expect
      .poll(() => page.getByTestId('private-profile').textContent())
      .toContain('Duty roster in the wiki.')
    expect(await page.getByTestId('private-profile').textContent()).toContain(
      'Only members of CERT Delta see this',
    )
    expect(await page.getByTestId('org-pgp-key').textContent()).toContain('BEGIN PGP PUBLIC KEY BLOCK')
    expect(await page.getByTestId('org-profile').textContent()).toContain('cert@delta.example')
    await page.screenshot({ path: path.join(RESULTS, 'directory-profile.png'), fullPage: true })

    // Hiding the membership of the group.
    await page.goto(`${server.url}/sharing/groups/${group.body.id}`)
    await expect.poll(() => page.getByTestId('members-table').textContent()).toContain('Epsilon Grid')
    const settings = page.getByTestId('group-settings-form')
    await settings.getByLabel('Hide the membership').check()
    await settings.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => settings.getByRole('status').textContent()).toBe('Saved.')
    expect(await unlabelledControls(page)).toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'sharing-group.png'), fullPage: true })

    // A downgrade to TLP:GREEN for the community needs a reason.
    await page.goto(`${server.url}/knowledge/${doc.body.id}`)
    await page.getByRole('button', { name: 'Change label' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('radio', { name: 'TLP:GREEN', exact: true }).check()
    await dialog.getByRole('radio', { name: 'Community', exact: true }).check()
    await dialog.getByTestId('downgrade-warning').waitFor()
    const confirm = dialog.getByRole('button', { name: 'Change label' })
    expect(await confirm.isDisabled()).toBe(true)
    await dialog.getByLabel('Reason').fill('Useful to every team of the community.')
    expect(await confirm.isDisabled()).toBe(false)
    await confirm.click()
    await expect
      .poll(() => page.getByTestId('document-label-summary').textContent())
      .toContain('Visible to every organisation on this instance')

    // TLP:RED goes to named people: a search adds them, and the summary names them.
    await page.getByRole('button', { name: 'Change label' }).click()
    await dialog.getByRole('radio', { name: 'TLP:RED', exact: true }).check()
    expect(await dialog.getByRole('radio', { name: 'Community', exact: true }).isDisabled()).toBe(true)
    await expect.poll(() => dialog.getByTestId('label-problems').textContent()).toMatch(/named recipient/)
    await dialog.getByRole('radio', { name: 'Organisation only', exact: true }).check()
    await dialog.getByLabel('Find people').fill('Eve Eps')
    await dialog.getByRole('button', { name: 'Add Eve Epsilon of Epsilon Grid' }).click()
    await expect.poll(() => dialog.getByTestId('label-problems').count()).toBe(0)
    expect(await dialog.getByTestId('label-summary').textContent()).toContain(
      'Visible to CERT Delta and to Eve Epsilon (Epsilon Grid) by name',
    )
    expect(await unlabelledControls(page)).toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'knowledge-red-label.png'), fullPage: true })
    await dialog.getByRole('button', { name: 'Change label' }).click()
    await expect.poll(() => page.getByTestId('document-label-summary').textContent()).toContain('TLP:RED')
    expect(consoleErrors).toEqual([])
    await context.close()

    // Epsilon: a member that sees the group but not its members, the public profile only, and the document.
    const asE = await logIn(browser, server.url, { email: e.user.email, password: e.password })
    await asE.page.goto(`${server.url}/sharing`)
    const row = asE.page.getByTestId('groups-table').getByRole('row', { name: /Delta trust circle/ })
    await expect.poll(() => row.textContent()).toMatch(/CERT Delta\s*Hidden\s*Member/)
    await row.getByRole('link', { name: 'Delta trust circle' }).click()
    await asE.page.getByTestId('members-hidden').waitFor()
    expect(await asE.page.getByTestId('members-table').count()).toBe(0)
    await asE.page.goto(`${server.url}/directory/${orgD.id}`)
    await expect.poll(() => asE.page.getByTestId('org-pgp-key').textContent()).toContain('BEGIN PGP')
    expect(await asE.page.getByTestId('private-profile').count()).toBe(0)
    expect(await asE.page.getByRole('button', { name: 'Edit profile' }).count()).toBe(0)
    await asE.page.goto(`${server.url}/knowledge/${doc.body.id}`)
    await expect
      .poll(() => asE.page.getByTestId('document-label-summary').textContent())
      .toContain('Eve Epsilon (you) by name')
    await asE.context.close()

    // A viewer of the owner organisation reads but neither creates nor edits.
    const asViewer = await logIn(browser, server.url, { email: viewer.user.email, password: viewer.password })
    await asViewer.page.goto(`${server.url}/knowledge/${doc.body.id}`)
    await asViewer.page.getByTestId('document-label-summary').waitFor()
    expect(await asViewer.page.getByRole('button', { name: 'Change label' }).count()).toBe(0)
    expect(await asViewer.page.getByRole('button', { name: 'Edit' }).count()).toBe(0)
    await asViewer.page.goto(`${server.url}/knowledge`)
    await asViewer.page.getByTestId('documents-total').waitFor()
    expect(await asViewer.page.getByRole('link', { name: 'New document' }).count()).toBe(0)
    await asViewer.page.getByLabel('Search titles').fill('phishing')
    await asViewer.page.waitForURL((location) => location.searchParams.get('q') === 'phishing')
    await expect
      .poll(() => asViewer.page.getByTestId('documents-total').textContent())
      .toBe('1 document matches')
    await asViewer.page.getByLabel('Kind').selectOption({ label: 'Tool' })
    await expect
      .poll(() => asViewer.page.getByTestId('documents-total').textContent())
      .toBe('0 documents match')
    await asViewer.context.close()
  })
})
