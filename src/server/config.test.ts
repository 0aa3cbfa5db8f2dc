import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, readConfig } from './config.js'

describe('readConfig', () => {
  it('defaults to the embedded store under ./data on 127.0.0.1:8080', () => {
    const config = readConfig({})
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, store: 'sqlite', databaseUrl: null })
    expect(config.dataDir).toBe(path.resolve('data'))
    expect(Object.isFrozen(config)).toBe(true)
  })

  it('switches to PostgreSQL when LIAISON_DATABASE_URL is set', () => {
    const config = readConfig({ LIAISON_DATABASE_URL: 'postgres://u@db:5432/liaison', LIAISON_PORT: '9000' })
    expect(config).toMatchObject({ store: 'postgres', port: 9000 })
  })

  it('reports every bad variable at once', () => {
    const bad = {
      LIAISON_PORT: 'eighty',
      LIAISON_DATABASE_URL: 'mysql://x',
      LIAISON_LOG_LEVEL: 'loud',
      LIAISON_COOKIE_SECURE: 'maybe',
      LIAISON_ADMIN_EMAIL: 'not-an-email',
    }
    let error: unknown
    try {
      readConfig(bad)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems.join('\n')
    for (const name of Object.keys(bad)) {
      expect(problems).toContain(name)
    }
  })
})
