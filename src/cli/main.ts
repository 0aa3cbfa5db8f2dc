import { userInfo } from 'node:os'
import { Command, CommanderError, Option } from 'commander'
import { ORG_TYPES, ROLES, type OrgType, type Role } from '../core/account/account.schema.js'
import type { OperatorActor } from '../core/account/principal.js'
import { readConfig, ConfigError, type Config } from '../server/config.js'
import { badInput, LiaisonError } from '../server/errors.js'
import { startServer } from '../server/main.js'
import { presentApiKey } from '../server/modules/apikey/apikey.presenter.js'
import { createApiKey, revokeApiKey } from '../server/modules/apikey/apikey.service.js'
import { parseAuditAnchor, verifyAuditChain } from '../server/modules/audit/audit.service.js'
import { presentGroup } from '../server/modules/group/group.presenter.js'
import {
  addGroupMember,
  createGroup,
  listGroups,
  removeGroupMember,
  resolveGroup,
} from '../server/modules/group/group.service.js'
import { presentOrganisation } from '../server/modules/org/org.presenter.js'
import {
  createOrganisation,
  listOrganisations,
  resolveOrganisation,
} from '../server/modules/org/org.service.js'
import { presentUser } from '../server/modules/user/user.presenter.js'
import { createUser, listUsers, resolveUser } from '../server/modules/user/user.service.js'
import { packageVersion } from '../server/paths.js'
import { migrateToLatest } from '../server/store/migrate.js'
import { openStore, type Store } from '../server/store/store.js'
import { addConstituencyCommands } from './constituency.commands.js'
import { addFederationCommands } from './federation.commands.js'
import { addIntelCommands } from './intel.commands.js'
import { addWarninglistCommands } from './warninglist.commands.js'
import { processOutput, table, type Output } from './output.js'
import { addTaxiiCommands } from './taxii.commands.js'

/** Thrown by a command to end with a given exit code after printing its own message. */
class ExitError extends Error {
  readonly exitCode: number
  constructor(exitCode: number, message: string) {
    super(message)
    this.exitCode = exitCode
  }
}

function operator(): OperatorActor {
  let name = 'unknown'
  try {
    name = userInfo().username
  } catch {
    // Containers without a passwd entry: keep "unknown".
  }
  return { kind: 'cli', osUser: name }
}

/** Opens the configured store, migrates it, runs `work`, and always closes the store. */
async function withStore<T>(config: Config, work: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(config)
  try {
    await migrateToLatest(store)
    return await work(store)
  } finally {
    await store.close()
  }
}

/**
 * Builds the `liaison` command tree. `env` supplies the settings (the same `LIAISON_*` variables as
 * `serve`), `output` receives what the commands print.
 */
export function buildProgram(env: NodeJS.ProcessEnv, output: Output = processOutput): Command {
  const config = (): Config => readConfig(env)
  const program = new Command('liaison')
    .description('Liaison: incident handling and trust-based sharing for CSIRTs, ISACs and law enforcement')
    .version(packageVersion())
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .exitOverride()

  program
    .command('serve')
    .description('start the server (API, web UI) on LIAISON_HOST:LIAISON_PORT, migrating the store first')
    .action(async () => {
      const server = await startServer(config(), (text) => output.out(text))
      await new Promise<void>((resolve) => {
        const stop = () => {
          output.err('shutting down…')
          server.close().then(resolve, resolve)
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    })

  program
    .command('migrate')
    .description('bring the store (SQLite file or PostgreSQL) to the newest schema')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = config()
      const store = openStore(cfg)
      try {
        const report = await migrateToLatest(store)
        if (opts.json) {
          output.out(JSON.stringify({ store: store.kind, location: store.location, ...report }))
          return
        }
        output.out(
          report.applied.length === 0
            ? `Store ${store.location} is up to date (${report.current ?? 'empty'}).`
            : `Applied ${report.applied.length} migration(s) to ${store.location}: ${report.applied.join(', ')}`,
        )
      } finally {
        await store.close()
      }
    })

  const org = program.command('org').description('manage organisations')
  org
    .command('create')
    .description('create an organisation')
    .requiredOption('--name <name>', 'display name (unique)')
    .addOption(new Option('--type <type>', 'organisation type').choices([...ORG_TYPES]).makeOptionMandatory())
    .option('--country <code>', 'ISO 3166-1 alpha-2 country code, e.g. DE (EU for EU bodies)')
    .option('--sector <sector>', 'sector, e.g. energy, health, finance')
    .option('--json', 'print JSON')
    .action(
      async (opts: { name: string; type: OrgType; country?: string; sector?: string; json?: boolean }) => {
        await withStore(config(), async (store) => {
          const row = await createOrganisation(store.db, operator(), {
            name: opts.name,
            type: opts.type,
            ...(opts.country === undefined ? {} : { country: opts.country.toUpperCase() }),
            ...(opts.sector === undefined ? {} : { sector: opts.sector }),
          })
          const wire = presentOrganisation(row, row.id)
          output.out(
            opts.json
              ? JSON.stringify(wire)
              : `Created organisation ${wire.name} (${wire.type}) with id ${wire.id}`,
          )
        })
      },
    )
  org
    .command('list')
    .description('list organisations')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStore(config(), async (store) => {
        const items = []
        for (let offset = 0; ; offset += 500) {
          const page = await listOrganisations(store.db, operator(), { limit: 500, offset })
          items.push(...page.rows.map((row) => presentOrganisation(row, row.id)))
          if (page.rows.length < 500) {
            break
          }
        }
        if (opts.json) {
          output.out(JSON.stringify(items))
          return
        }
        output.out(
          table(
            ['ID', 'NAME', 'TYPE', 'COUNTRY', 'SECTOR', 'OWNER'],
            items.map((o) => [o.id, o.name, o.type, o.country, o.sector, o.isInstanceOwner ? 'yes' : '']),
          ),
        )
      })
    })

  const user = program.command('user').description('manage users')
  user
    .command('create')
    .description('create a user; prints a one-time password unless --password-stdin is given')
    .requiredOption('--email <email>', 'login e-mail (unique)')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--org <org>', 'organisation id or name')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .option(
      '--password-stdin',
      'read the initial password from standard input (it must still be changed at login)',
    )
    .option('--json', 'print JSON (includes oneTimePassword)')
    .action(
      async (opts: {
        email: string
        name: string
        org: string
        role: Role
        passwordStdin?: boolean
        json?: boolean
      }) => {
        const password = opts.passwordStdin ? (await readStdin()).replace(/\r?\n$/, '') : undefined
        await withStore(config(), async (store) => {
          const orgRow = await resolveOrganisation(store.db, opts.org)
          const created = await createUser(store.db, operator(), {
            email: opts.email,
            name: opts.name,
            role: opts.role,
            orgId: orgRow.id,
            ...(password === undefined ? {} : { password }),
          })
          const wire = presentUser(created.user)
          if (opts.json) {
            output.out(JSON.stringify({ user: wire, oneTimePassword: created.oneTimePassword }))
            return
          }
          output.out(`Created user ${wire.email} (${wire.role}) in ${orgRow.name} with id ${wire.id}`)
          if (created.oneTimePassword !== null) {
            output.out(`One-time password: ${created.oneTimePassword}  (must be changed at first login)`)
          }
        })
      },
    )
  user
    .command('list')
    .description('list users')
    .option('--org <org>', 'only this organisation (id or name)')
    .option('--json', 'print JSON')
    .action(async (opts: { org?: string; json?: boolean }) => {
      await withStore(config(), async (store) => {
        const orgId = opts.org === undefined ? undefined : (await resolveOrganisation(store.db, opts.org)).id
        const items = []
        for (let offset = 0; ; offset += 500) {
          const page = await listUsers(store.db, operator(), {
            ...(orgId === undefined ? {} : { orgId }),
            limit: 500,
            offset,
          })
          items.push(...page.rows.map(presentUser))
          if (page.rows.length < 500) {
            break
          }
        }
        if (opts.json) {
          output.out(JSON.stringify(items))
          return
        }
        output.out(
          table(
            ['ID', 'EMAIL', 'NAME', 'ROLE', 'ORG', 'STATUS'],
            items.map((u) => [
              u.id,
              u.email,
              u.name,
              u.role,
              u.orgId,
              u.disabled ? 'disabled' : u.mustChangePassword ? 'must change password' : 'active',
            ]),
          ),
        )
      })
    })

  const apikey = program.command('apikey').description('manage API keys')
  apikey
    .command('create')
    .description('create an API key for a user; prints the token once')
    .requiredOption('--user <user>', 'user e-mail or id')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--expires <date>', 'expiry, ISO 8601 (e.g. 2027-01-31T00:00:00Z)')
    .option('--json', 'print JSON (includes token)')
    .action(async (opts: { user: string; name: string; expires?: string; json?: boolean }) => {
      await withStore(config(), async (store) => {
        const owner = await resolveUser(store.db, opts.user)
        const created = await createApiKey(store.db, operator(), {
          name: opts.name,
          userId: owner.id,
          ...(opts.expires === undefined ? {} : { expiresAt: opts.expires }),
        })
        const wire = presentApiKey(created.key)
        if (opts.json) {
          output.out(JSON.stringify({ apiKey: wire, token: created.token }))
          return
        }
        output.out(`Created API key ${wire.id} (${wire.name}) for ${owner.email}.`)
        output.out(`Token (shown once, send as "Authorization: Bearer <token>"):`)
        output.out(created.token)
      })
    })
  apikey
    .command('revoke')
    .description('revoke an API key')
    .argument('<id>', 'API key id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withStore(config(), async (store) => {
        const wire = presentApiKey(await revokeApiKey(store.db, operator(), id))
        output.out(opts.json ? JSON.stringify(wire) : `Revoked API key ${wire.id} (${wire.name}).`)
      })
    })

  const group = program.command('group').description('manage sharing groups (trust circles)')
  const collect = (value: string, previous: string[]) => [...previous, value]
  group
    .command('create')
    .description('create a sharing group managed by an organisation (which is always a member)')
    .requiredOption('--name <name>', 'group name')
    .requiredOption('--owner-org <org>', 'organisation that manages the group (id or name)')
    .option('--member-org <org>', 'member organisation (id or name); repeat for several', collect, [])
    .option('--description <text>', 'what the group is for')
    .option('--hidden', 'hidden membership: members see the group but not who else is in it')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        name: string
        ownerOrg: string
        memberOrg: string[]
        description?: string
        hidden?: boolean
        json?: boolean
      }) => {
        await withStore(config(), async (store) => {
          const owner = await resolveOrganisation(store.db, opts.ownerOrg)
          const members = []
          for (const ref of opts.memberOrg) {
            members.push((await resolveOrganisation(store.db, ref)).id)
          }
          const view = await createGroup(store.db, operator(), {
            name: opts.name,
            ownerOrgId: owner.id,
            memberOrgIds: members,
            hiddenMembership: opts.hidden === true,
            ...(opts.description === undefined ? {} : { description: opts.description }),
          })
          const wire = presentGroup(view)
          output.out(
            opts.json
              ? JSON.stringify(wire)
              : `Created sharing group ${wire.name} (${wire.id}) managed by ${wire.ownerOrgName} with ${wire.memberCount ?? 0} member(s)${wire.hiddenMembership ? ', membership hidden' : ''}`,
          )
        })
      },
    )
  for (const [name, verb] of [
    ['add-member', 'add'],
    ['remove-member', 'remove'],
  ] as const) {
    group
      .command(name)
      .description(`${verb} a member organisation ${verb === 'add' ? 'to' : 'from'} a sharing group`)
      .argument('<group>', 'group id or name')
      .argument('<org>', 'organisation id or name')
      .option('--json', 'print JSON')
      .action(async (groupRef: string, orgRef: string, opts: { json?: boolean }) => {
        await withStore(config(), async (store) => {
          const row = await resolveGroup(store.db, groupRef)
          const org = await resolveOrganisation(store.db, orgRef)
          const view =
            verb === 'add'
              ? await addGroupMember(store.db, operator(), row.id, org.id)
              : await removeGroupMember(store.db, operator(), row.id, org.id)
          const wire = presentGroup(view)
          output.out(
            opts.json
              ? JSON.stringify(wire)
              : `${verb === 'add' ? 'Added' : 'Removed'} ${org.name} ${verb === 'add' ? 'to' : 'from'} ${wire.name} (${wire.memberCount ?? 0} member(s))`,
          )
        })
      })
  }
  group
    .command('list')
    .description('list sharing groups')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withStore(config(), async (store) => {
        const items = []
        for (let offset = 0; ; offset += 500) {
          const page = await listGroups(store.db, operator(), { limit: 500, offset })
          items.push(...page.items.map(presentGroup))
          if (page.items.length < 500) {
            break
          }
        }
        if (opts.json) {
          output.out(JSON.stringify(items))
          return
        }
        output.out(
          table(
            ['ID', 'NAME', 'OWNER', 'MEMBERS', 'HIDDEN'],
            items.map((g) => [
              g.id,
              g.name,
              g.ownerOrgName,
              String(g.memberCount ?? '-'),
              g.hiddenMembership ? 'yes' : '',
            ]),
          ),
        )
      })
    })

  addIntelCommands(program, {
    config,
    output,
    operator,
    withStore,
    fail: (exitCode) => {
      throw new ExitError(exitCode, '')
    },
  })
  addWarninglistCommands(program, { config, output, operator, withStore })
  addConstituencyCommands(program, {
    config,
    output,
    operator,
    withStore,
    fail: (exitCode) => {
      throw new ExitError(exitCode, '')
    },
    readStdin,
  })

  addFederationCommands(program, {
    config,
    output,
    operator,
    withStore,
    fail: (exitCode) => {
      throw new ExitError(exitCode, '')
    },
    readStdin,
    env,
  })
  addTaxiiCommands(program, { config, output, operator, withStore })

  const audit = program.command('audit').description('the hash-chained audit log')
  audit
    .command('verify')
    .description(
      'check every entry of the audit chain; exits 1 and names the first broken entry. Record the head it prints (SEQ:HASH) outside the store and pass it later with --anchor: a log rewritten whole is caught too',
    )
    .option(
      '--anchor <seq:hash>',
      'an entry recorded earlier that must still be in the chain; repeatable',
      collectAnchor,
      [],
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; anchor: string[] }) => {
      await withStore(config(), async (store) => {
        const anchors = opts.anchor.map((text) => {
          const anchor = parseAuditAnchor(text)
          if (anchor === null) {
            throw badInput('anchor', `expected SEQ:HASH (a number, a colon, 64 hex digits), got ${text}`)
          }
          return anchor
        })
        const result = await verifyAuditChain(
          store.db,
          (checked, total) => {
            if (!opts.json && total > 20000) {
              output.err(`checked ${checked}/${total}`)
            }
          },
          anchors,
        )
        if (opts.json) {
          output.out(JSON.stringify(result))
        } else if (result.ok) {
          output.out(
            `Audit chain OK: ${result.entries} entries, head ${result.headSeq}:${result.headHash}${anchors.length === 0 ? '' : `, ${anchors.length} anchor${anchors.length === 1 ? '' : 's'} found`}`,
          )
        } else {
          output.out(`Audit chain BROKEN at entry ${result.brokenSeq}: ${result.reason}`)
        }
        if (!result.ok) {
          throw new ExitError(1, '')
        }
      })
    })

  return program
}

function collectAnchor(value: string, previous: string[]): string[] {
  return [...previous, value]
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Runs the CLI with `argv` (as in `process.argv`) and returns the exit code: 0 success, 1 failure
 * or a check that did not pass, 2 bad usage or bad input.
 */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: Output = processOutput,
): Promise<number> {
  const program = buildProgram(env, output)
  try {
    await program.parseAsync(argv)
    return 0
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2
    }
    if (error instanceof ExitError) {
      if (error.message !== '') {
        output.err(error.message)
      }
      return error.exitCode
    }
    if (error instanceof ConfigError) {
      output.err(`liaison: ${error.message}`)
      return 2
    }
    if (error instanceof LiaisonError) {
      output.err(`liaison: ${error.message}`)
      return error.status === 400 || error.status === 404 || error.status === 409 ? 2 : 1
    }
    output.err(`liaison: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}
