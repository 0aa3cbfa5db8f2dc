import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiClient } from '../helpers/http.js'
import type { TestServer } from '../helpers/server.js'
import { RESULTS, unlabelledControls, startBrowserWorld, closeBrowserWorld } from '../helpers/browser.js'

describe('web shell in Chromium', () => {
  let server: TestServer
  let browser: Browser

  beforeAll(async () => {
    ;({ server, browser } = await startBrowserWorld())
  })
  afterAll(async () => {
    await closeBrowserWorld(browser, server)
  })

  it('logs in, forces the password change, shows who is logged in, and creates an API key', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const page = await context.newPage()
    const consoleErrors: string[] = []
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        consoleErrors.push(msg.text())
      }
    })

    await page.goto(server.url)
    await page.waitForURL(/\/login/)
    await expect.poll(() => page.title()).toMatch(/Log in/)
    expect(await unlabelledControls(page)).toEqual([])

    const form = page.getByTestId('login-form')
    await form.getByLabel('E-mail').fill(server.admin.email)
    await form.getByLabel('Password', { exact: true }).fill('wrong password')
    await form.getByRole('button', { name: 'Log in' }).click()
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/wrong|failed/i)

    await form.getByLabel('Password', { exact: true }).fill(server.admin.oneTimePassword)
    await form.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL(/\/change-password/)

    const change = page.getByTestId('change-password-form')
    expect(await unlabelledControls(page)).toEqual([])
    await change.getByLabel('Current password').fill(server.admin.oneTimePassword)
    await change.getByLabel('New password').fill('browser test passphrase')
    await change.getByLabel('Confirm password').fill('browser test passphrase')
    await change.getByRole('button', { name: 'Change password' }).click()

    await page.waitForURL((url) => url.pathname === '/')
    await expect.poll(() => page.getByTestId('whoami').textContent()).toContain('Administrator')
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1)
    await page.screenshot({ path: path.join(RESULTS, 'home.png'), fullPage: true })

    await page.getByRole('link', { name: 'Admin' }).first().click()
    await page.getByRole('tab', { name: /API keys/ }).click()
    await page.getByLabel('Name', { exact: true }).fill('browser test key')
    await page.getByRole('button', { name: 'Create API key' }).click()
    const tokenBox = page.getByTestId('new-api-key-token')
    await tokenBox.waitFor()
    const token = ((await tokenBox.textContent()) ?? '').trim()
    expect(token).toMatch(/^lsn_/)
    await expect.poll(() => page.getByTestId('api-keys-table').textContent()).toContain('browser test key')
    expect(await unlabelledControls(page)).toEqual([])
    await page.screenshot({ path: path.join(RESULTS, 'web-shell.png'), fullPage: true })

    // The audit tab checks the chain and gives the head to keep elsewhere; pasted back, it is found.
    await page.getByRole('tab', { name: /Audit/ }).click()
    const verify = page.getByTestId('audit-verify')
    await verify.getByRole('button', { name: 'Verify the chain' }).click()
    await expect
      .poll(() => verify.getByTestId('audit-verify-result').textContent())
      .toMatch(/entries checked/)
    const head = ((await verify.getByTestId('audit-head').textContent()) ?? '').trim()
    expect(head).toMatch(/^\d+:[0-9a-f]{64}$/)
    await verify.getByLabel('Heads recorded earlier (optional)').fill(head)
    await verify.getByRole('button', { name: 'Verify the chain' }).click()
    await expect.poll(() => verify.getByTestId('audit-verify-result').textContent()).toMatch(/chain is whole/)
    await verify
      .getByLabel('Heads recorded earlier (optional)')
      .fill(`${head.split(':')[0] ?? '1'}:${'0'.repeat(64)}`)
    await verify.getByRole('button', { name: 'Verify the chain' }).click()
    await expect.poll(() => verify.getByTestId('audit-verify-result').textContent()).toMatch(/rewritten/)
    expect(await unlabelledControls(page)).toEqual([])

    const script = new ApiClient(server.url)
    script.bearer = token
    const me = await script.get('/api/v1/me')
    expect(me.status).toBe(200)
    expect(me.body).toMatchObject({ authMethod: 'apikey', user: { email: server.admin.email } })

    expect(consoleErrors.filter((e) => !/401|Unauthorized/i.test(e))).toEqual([])
    await context.close()
  })

  it('works on a phone-sized screen', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 } })
    const page = await context.newPage()
    await page.goto(`${server.url}/login`)
    const form = page.getByTestId('login-form')
    await form.getByLabel('E-mail').fill(server.admin.email)
    await form.getByLabel('Password', { exact: true }).fill('browser test passphrase')
    await form.getByLabel('Password', { exact: true }).press('Enter')
    await page.waitForURL((url) => url.pathname === '/')
    await page.getByTestId('whoami').waitFor()
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    expect(overflow).toBeLessThanOrEqual(0)
    await page.screenshot({ path: path.join(RESULTS, 'home-mobile.png'), fullPage: true })
    await context.close()
  })
})
