import path from 'node:path'
import { packageRoot } from './paths.js'

/** Which store backs this instance. */
export type StoreKind = 'sqlite' | 'postgres'

/** Settings of a Liaison process, read once from `LIAISON_*` environment variables. */
export interface Config {
  /** Folder of the embedded store and other local files (`LIAISON_DATA_DIR`, default `./data`). */
  readonly dataDir: string
  /** Address to listen on (`LIAISON_HOST`, default 127.0.0.1). */
  readonly host: string
  /** Port to listen on (`LIAISON_PORT`, default 8080; 0 picks a free port). */
  readonly port: number
  /** PostgreSQL URL (`LIAISON_DATABASE_URL`); when unset the SQLite file `<dataDir>/liaison.db` is used. */
  readonly databaseUrl: string | null
  /** Which store is in use, derived from `databaseUrl`. */
  readonly store: StoreKind
  /** Display name of this instance and name of its own organisation on first start (`LIAISON_INSTANCE_NAME`). */
  readonly instanceName: string
  /** E-mail of the admin created on first start (`LIAISON_ADMIN_EMAIL`, default admin@liaison.local). */
  readonly adminEmail: string
  /** Log level (`LIAISON_LOG_LEVEL`: fatal, error, warn, info, debug, trace, silent). */
  readonly logLevel: string
  /** Mark the session cookie `Secure` (`LIAISON_COOKIE_SECURE`; set it to true behind HTTPS). */
  readonly cookieSecure: boolean
  /** Session lifetime in hours (`LIAISON_SESSION_HOURS`, default 12). */
  readonly sessionHours: number
  /** Trust `X-Forwarded-For` from a reverse proxy (`LIAISON_TRUST_PROXY`, default false). */
  readonly trustProxy: boolean
  /** Failed logins allowed per client address per 15 minutes (`LIAISON_LOGIN_MAX_PER_ADDRESS`, default 20). */
  readonly loginMaxPerAddress: number
  /** Failed logins in a row before an account is locked for a while (`LIAISON_LOGIN_MAX_PER_ACCOUNT`, default 5). */
  readonly loginMaxPerAccount: number
  /** Folder of the built web UI (`LIAISON_WEB_DIR`, default `dist/web` of the package). */
  readonly webDir: string
  /**
   * Base of links sent to people, such as a reporter's status link (`LIAISON_PUBLIC_URL`, no trailing
   * slash); null when unset: see {@link publicBaseUrl}.
   */
  readonly publicUrl: string | null
  /** Reports per client address per hour before 429 (`LIAISON_REPORT_MAX_PER_ADDRESS`, default 10). */
  readonly reportMaxPerAddress: number
  /** Port of the SMTP intake listener (`LIAISON_SMTP_PORT`; 0 picks a free port); null: no listener. */
  readonly smtpPort: number | null
  /** Address of the SMTP intake listener (`LIAISON_SMTP_HOST`, default 127.0.0.1). */
  readonly smtpHost: string
  /** Largest message the intake accepts, in bytes (`LIAISON_SMTP_MAX_BYTES`, default 25 MiB). */
  readonly smtpMaxBytes: number
  /** PEM key and certificate files for STARTTLS on the intake (`LIAISON_SMTP_TLS_KEY_FILE`, `…_CERT_FILE`); null: no STARTTLS. */
  readonly smtpTls: { readonly keyFile: string; readonly certFile: string } | null
  /** Outbound SMTP relay, `smtp://host:port` (`LIAISON_SMTP_RELAY`); null: outbound mail is refused. */
  readonly smtpRelay: string | null
  /** The address reports are sent to and notifications come from (`LIAISON_REPORT_ADDRESS`, default report@localhost). */
  readonly reportAddress: string
  /** Armored OpenPGP private key that signs outbound mail (`LIAISON_OPENPGP_KEY_FILE`); null: unsigned. */
  readonly openpgpKeyFile: string | null
  /** Passphrase of that key (`LIAISON_OPENPGP_PASSPHRASE`), null when it has none. */
  readonly openpgpPassphrase: string | null
  /** Largest TAXII POST body in bytes, the API root's `max_content_length` (`LIAISON_TAXII_MAX_CONTENT_LENGTH`, default 32 MiB). */
  readonly taxiiMaxContentLength: number
  /**
   * Key that seals stored secrets such as federation peers' credentials (`LIAISON_SECRET_KEY`: 32
   * bytes as 64 hex digits or base64); null: a key file `<dataDir>/secret.key` is made on first use.
   * Several nodes on one PostgreSQL store must share it.
   */
  readonly secretKey: Buffer | null
  /** Run the scheduled federation syncs in `liaison serve` (`LIAISON_FEDERATION_SYNC`, default true). */
  readonly federationSync: boolean
  /**
   * Days a settled delivery receipt (accepted, rejected or filtered) is kept before the scheduler
   * deletes it (`LIAISON_FEDERATION_RECEIPT_DAYS`, default 90); receipts still `sent` stay.
   */
  readonly federationReceiptDays: number
  /**
   * Days a tombstone (the record of a deleted object version, which pushes and the deletion feed
   * pass on) is kept before the scheduler deletes it (`LIAISON_FEDERATION_TOMBSTONE_DAYS`, default
   * 365): a peer that has not synced for longer misses those deletions.
   */
  readonly federationTombstoneDays: number
}

/** Raised when one or more settings are invalid; lists every bad variable at once. */
export class ConfigError extends Error {
  /** One line per bad variable. */
  readonly problems: readonly string[]

  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/**
 * Reads and validates the settings from an environment; reports every bad variable, not just the first.
 *
 * @example
 * const config = readConfig(process.env)
 */
export function readConfig(env: NodeJS.ProcessEnv, overrides: Partial<Config> = {}): Config {
  const problems: string[] = []

  function int(name: string, fallback: number, min: number, max: number): number {
    const raw = env[name]
    if (raw === undefined || raw === '') {
      return fallback
    }
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name}: must be an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return value
  }

  function bool(name: string, fallback: boolean): boolean {
    const raw = env[name]
    if (raw === undefined || raw === '') {
      return fallback
    }
    if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) {
      return true
    }
    if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) {
      return false
    }
    problems.push(`${name}: must be true or false, got "${raw}"`)
    return fallback
  }

  const databaseUrl = env.LIAISON_DATABASE_URL ? env.LIAISON_DATABASE_URL : null
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('LIAISON_DATABASE_URL: must start with postgres:// or postgresql://')
  }
  const logLevel = env.LIAISON_LOG_LEVEL ?? 'info'
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LIAISON_LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  }
  const adminEmail = env.LIAISON_ADMIN_EMAIL ?? 'admin@liaison.local'
  if (!/^[^\s@]+@[^\s@]+$/.test(adminEmail)) {
    problems.push(`LIAISON_ADMIN_EMAIL: not an e-mail address: "${adminEmail}"`)
  }
  const instanceName = (env.LIAISON_INSTANCE_NAME ?? 'Liaison').trim()
  if (instanceName === '' || instanceName.length > 200) {
    problems.push('LIAISON_INSTANCE_NAME: must be 1 to 200 characters')
  }

  const smtpRelay = env.LIAISON_SMTP_RELAY ? env.LIAISON_SMTP_RELAY : null
  if (smtpRelay !== null && !/^smtps?:\/\/[^/\s]+(:\d+)?\/?$/.test(smtpRelay)) {
    problems.push(`LIAISON_SMTP_RELAY: must be smtp://host:port or smtps://host:port, got "${smtpRelay}"`)
  }
  const reportAddress = (env.LIAISON_REPORT_ADDRESS ?? 'report@localhost').trim()
  if (!/^[^\s@]+@[^\s@]+$/.test(reportAddress)) {
    problems.push(`LIAISON_REPORT_ADDRESS: not an e-mail address: "${reportAddress}"`)
  }

  const smtpPort =
    env.LIAISON_SMTP_PORT === undefined || env.LIAISON_SMTP_PORT === ''
      ? null
      : int('LIAISON_SMTP_PORT', 0, 0, 65535)
  const smtpTlsKey = env.LIAISON_SMTP_TLS_KEY_FILE ? path.resolve(env.LIAISON_SMTP_TLS_KEY_FILE) : null
  const smtpTlsCert = env.LIAISON_SMTP_TLS_CERT_FILE ? path.resolve(env.LIAISON_SMTP_TLS_CERT_FILE) : null
  if ((smtpTlsKey === null) !== (smtpTlsCert === null)) {
    problems.push('LIAISON_SMTP_TLS_KEY_FILE, LIAISON_SMTP_TLS_CERT_FILE: set both or neither')
  }

  const publicUrl = env.LIAISON_PUBLIC_URL ? env.LIAISON_PUBLIC_URL.replace(/\/+$/, '') : null
  if (publicUrl !== null && !/^https?:\/\/[^/\s?#]+(\/[^\s?#]*)?$/.test(publicUrl)) {
    problems.push(`LIAISON_PUBLIC_URL: must be an http:// or https:// URL without query, got "${publicUrl}"`)
  }

  const secretKey = parseSecretKey(env.LIAISON_SECRET_KEY)
  if (secretKey === undefined) {
    problems.push('LIAISON_SECRET_KEY: must be 32 bytes, as 64 hex digits or base64')
  }

  const config: Config = {
    dataDir: path.resolve(env.LIAISON_DATA_DIR ?? 'data'),
    host: env.LIAISON_HOST ?? '127.0.0.1',
    port: int('LIAISON_PORT', 8080, 0, 65535),
    databaseUrl,
    store: databaseUrl === null ? 'sqlite' : 'postgres',
    instanceName,
    adminEmail: adminEmail.toLowerCase(),
    logLevel,
    cookieSecure: bool('LIAISON_COOKIE_SECURE', false),
    sessionHours: int('LIAISON_SESSION_HOURS', 12, 1, 24 * 30),
    trustProxy: bool('LIAISON_TRUST_PROXY', false),
    loginMaxPerAddress: int('LIAISON_LOGIN_MAX_PER_ADDRESS', 20, 1, 100000),
    loginMaxPerAccount: int('LIAISON_LOGIN_MAX_PER_ACCOUNT', 5, 1, 1000),
    webDir: path.resolve(env.LIAISON_WEB_DIR ?? path.join(packageRoot(), 'dist', 'web')),
    publicUrl,
    reportMaxPerAddress: int('LIAISON_REPORT_MAX_PER_ADDRESS', 10, 1, 100000),
    smtpPort,
    smtpHost: env.LIAISON_SMTP_HOST ?? '127.0.0.1',
    smtpMaxBytes: int('LIAISON_SMTP_MAX_BYTES', 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    smtpTls:
      smtpTlsKey !== null && smtpTlsCert !== null ? { keyFile: smtpTlsKey, certFile: smtpTlsCert } : null,
    smtpRelay,
    reportAddress: reportAddress.toLowerCase(),
    openpgpKeyFile: env.LIAISON_OPENPGP_KEY_FILE ? path.resolve(env.LIAISON_OPENPGP_KEY_FILE) : null,
    openpgpPassphrase: env.LIAISON_OPENPGP_PASSPHRASE ? env.LIAISON_OPENPGP_PASSPHRASE : null,
    taxiiMaxContentLength: int(
      'LIAISON_TAXII_MAX_CONTENT_LENGTH',
      32 * 1024 * 1024,
      1024,
      1024 * 1024 * 1024,
    ),
    secretKey: secretKey ?? null,
    federationSync: bool('LIAISON_FEDERATION_SYNC', true),
    federationReceiptDays: int('LIAISON_FEDERATION_RECEIPT_DAYS', 90, 1, 36_500),
    federationTombstoneDays: int('LIAISON_FEDERATION_TOMBSTONE_DAYS', 365, 1, 36_500),
    ...overrides,
  }
  if (problems.length > 0) {
    throw new ConfigError(problems)
  }
  return Object.freeze(config)
}

/** A 32-byte key from hex or base64; null when unset, undefined when malformed. */
function parseSecretKey(raw: string | undefined): Buffer | null | undefined {
  if (raw === undefined || raw.trim() === '') {
    return null
  }
  const text = raw.trim()
  const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64')
  return key.length === 32 ? key : undefined
}

/**
 * The base of links sent to people: `LIAISON_PUBLIC_URL`, else `http://<host>:<port>` of the
 * listener. Routes that answer a request use the address the request came to when it is unset.
 */
export function publicBaseUrl(config: Pick<Config, 'publicUrl' | 'host' | 'port'>): string {
  return config.publicUrl ?? `http://${config.host}:${config.port}`
}
