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
    ...overrides,
  }
  if (problems.length > 0) {
    throw new ConfigError(problems)
  }
  return Object.freeze(config)
}
