/// <reference lib="dom" />
// Shared by the browser tests. The functions passed to page.evaluate run in the browser.
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { startTestServer, type TestServer } from './server.js'

/** Debian's Chromium, or LIAISON_CHROMIUM. */
export const CHROMIUM = process.env.LIAISON_CHROMIUM ?? '/usr/bin/chromium'
/** Where screenshots go. */
export const RESULTS = path.resolve(import.meta.dirname, '..', '..', 'test-results')
/** Flags for a headless Chromium on a machine without network or GPU, running as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Launches Chromium (failing clearly when it is not installed) and makes sure the results folder exists. */
export async function launchChromium(): Promise<Browser> {
  expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's chromium`).toBe(true)
  mkdirSync(RESULTS, { recursive: true })
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

/** Every visible form control must have an accessible name (a label, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = Array.from(document.querySelectorAll<HTMLElement>('input, select, textarea, button'))
    return controls
      .filter((el) => el.offsetParent !== null && (el as HTMLInputElement).type !== 'hidden')
      .filter((el) => {
        const labelledBy = el.getAttribute('aria-labelledby')
        const labels = (el as HTMLInputElement).labels
        const byLabel = labels !== null && labels !== undefined && labels.length > 0
        const text = el.tagName === 'BUTTON' ? (el.textContent ?? '').trim() : ''
        return !byLabel && !el.getAttribute('aria-label') && labelledBy === null && text === '' && !el.title
      })
      .map((el) => el.outerHTML.slice(0, 120))
  })
}

/** Who logs in. */
export interface Person {
  email: string
  password: string
}

/** A fresh browser context signed in as `person`, on the home page. */
export async function logIn(
  browser: Browser,
  url: string,
  person: Person,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  await page.goto(`${url}/login`)
  const form = page.getByTestId('login-form')
  await form.getByLabel('E-mail').fill(person.email)
  await form.getByLabel('Password', { exact: true }).fill(person.password)
  await form.getByRole('button', { name: 'Log in' }).click()
  await page.waitForURL((location) => location.pathname === '/')
  await page.getByTestId('whoami').waitFor()
  return { context, page }
}

/** Opens a Mantine multi-select by its label and picks the option with this name. */
export async function pickOption(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('combobox', { name: label, exact: true }).click()
  await page.getByRole('option', { name: option, exact: true }).click()
  await page.keyboard.press('Escape')
}

/** Fails clearly when the web UI has not been built (the browser tests serve `dist/web`). */
export function expectWebBuilt(server: { config: { webDir: string } }): void {
  expect(
    existsSync(path.join(server.config.webDir, 'index.html')),
    'web UI not built: run npm run build',
  ).toBe(true)
}

/**
 * What every browser suite starts from: a test server on SQLite whose web UI is built, and Chromium.
 * `env` goes to the server's configuration.
 */
export async function startBrowserWorld(
  env: Record<string, string> = {},
): Promise<{ server: TestServer; browser: Browser }> {
  const server = await startTestServer('sqlite', env)
  expectWebBuilt(server)
  return { server, browser: await launchChromium() }
}

/** Closes what {@link startBrowserWorld} started (either may be missing when the start failed). */
export async function closeBrowserWorld(
  browser: Browser | undefined,
  server: TestServer | undefined,
): Promise<void> {
  await browser?.close()
  await server?.close()
}
