import { createHash } from 'node:crypto'
import { Option, type Command } from 'commander'
import type { OperatorActor } from '../core/account/principal.js'
import {
  PULL_TLP_LEVELS,
  type PeerCredentials,
  type PullLabel,
} from '../core/federation/federation.schema.js'
import { AUDIENCES, PAP_LEVELS, normaliseLabel, type Audience, type Pap } from '../core/trust/label.js'
import type { Config } from '../server/config.js'
import { badInput } from '../server/errors.js'
import { pullCollection } from '../server/modules/federation/federation.pull.js'
import { presentPeer } from '../server/modules/federation/federation.presenter.js'
import { deletePullCursors } from '../server/modules/federation/federation.repository.js'
import {
  createPeer,
  DEFAULT_PULL_LABEL,
  deletePeer,
  getPeer,
  listPeers,
  resolvePeer,
  thisInstance,
} from '../server/modules/federation/federation.service.js'
import { syncPeer } from '../server/modules/federation/federation.sync.js'
import { TaxiiClient, type TaxiiAuth } from '../server/modules/federation/taxii.client.js'
import { findGroupIdsOfOrg } from '../server/modules/group/group.repository.js'
import { resolveGroup } from '../server/modules/group/group.service.js'
import { resolveOrganisation } from '../server/modules/org/org.service.js'
import { assertValidLabel } from '../server/modules/trust/label.service.js'
import type { Store } from '../server/store/store.js'
import { table, type Output } from './output.js'

/** What the federation commands need from the program. */
export interface FederationCommandDeps {
  config: () => Config
  output: Output
  operator: () => OperatorActor
  withStore: <T>(config: Config, work: (store: Store) => Promise<T>) => Promise<T>
  /** Ends the command with an exit code. */
  fail: (exitCode: number) => never
  readStdin: () => Promise<string>
  /** The environment, for secrets passed by variable (`LIAISON_TAXII_API_KEY`, `LIAISON_TAXII_PASSWORD`). */
  env: NodeJS.ProcessEnv
}

const collect = (value: string, previous: string[]) => [...previous, value]

interface CredentialOptions {
  apiKey?: string
  apiKeyStdin?: boolean
  user?: string
  passwordStdin?: boolean
}

/**
 * Credentials from the options: an API key (`--api-key`, `--api-key-stdin` or `LIAISON_TAXII_API_KEY`)
 * sent as Bearer, or a user name with a password (`--password-stdin` or `LIAISON_TAXII_PASSWORD`)
 * sent as HTTP Basic; none when neither is given.
 */
async function credentialsOf(deps: FederationCommandDeps, opts: CredentialOptions): Promise<PeerCredentials> {
  const stdin = async () => (await deps.readStdin()).replace(/\r?\n$/, '')
  if (opts.user !== undefined) {
    const password = opts.passwordStdin === true ? await stdin() : deps.env.LIAISON_TAXII_PASSWORD
    if (password === undefined || password === '') {
      throw badInput(
        'user',
        'give the password on standard input (--password-stdin) or in LIAISON_TAXII_PASSWORD',
      )
    }
    return { kind: 'basic', username: opts.user, password }
  }
  const key = opts.apiKeyStdin === true ? await stdin() : (opts.apiKey ?? deps.env.LIAISON_TAXII_API_KEY)
  if (key !== undefined && key !== '') {
    return { kind: 'bearer', token: key }
  }
  return { kind: 'none' }
}

function authOf(credentials: PeerCredentials): TaxiiAuth {
  return credentials
}

interface LabelOptions {
  tlp?: PullLabel['tlp']
  pap?: Pap
  audience?: Audience
  group: string[]
}

async function pullLabelOf(store: Store, opts: LabelOptions, base: PullLabel): Promise<PullLabel> {
  const groups = []
  for (const ref of opts.group) {
    groups.push((await resolveGroup(store.db, ref)).id)
  }
  return {
    tlp: opts.tlp ?? base.tlp,
    pap: opts.pap ?? base.pap,
    audience: opts.audience ?? (groups.length > 0 ? 'group' : base.audience),
    sharingGroups: groups,
  }
}

function addLabelOptions(command: Command, what: string, defaults: PullLabel): Command {
  return command
    .addOption(
      new Option(
        '--tlp <tlp>',
        `TLP of ${what} marked less strictly or not at all (their own stricter marking wins)`,
      )
        .choices([...PULL_TLP_LEVELS])
        .default(defaults.tlp),
    )
    .addOption(new Option('--pap <pap>', `PAP of ${what}`).choices([...PAP_LEVELS]).default(defaults.pap))
    .addOption(new Option('--audience <audience>', `who receives ${what}`).choices([...AUDIENCES]))
    .option('--group <group>', 'sharing group for --audience group (id or name); repeatable', collect, [])
}

function addCredentialOptions(command: Command): Command {
  return command
    .option(
      '--api-key <key>',
      'API key, sent as Bearer (visible to other users of this machine: prefer --api-key-stdin or LIAISON_TAXII_API_KEY)',
    )
    .option('--api-key-stdin', 'read the API key from standard input')
    .option(
      '--user <name>',
      'HTTP Basic user name; the password comes from --password-stdin or LIAISON_TAXII_PASSWORD',
    )
    .option('--password-stdin', 'read the HTTP Basic password from standard input')
}

/** Adds `liaison taxii pull` and `liaison peer add|list|sync|remove`. */
export function addFederationCommands(program: Command, deps: FederationCommandDeps): void {
  const { output } = deps
  const taxii = program.command('taxii').description('TAXII 2.1 client')
  addCredentialOptions(
    addLabelOptions(
      taxii
        .command('pull')
        .description(
          'pull a collection of any TAXII 2.1 server into this instance, from where the last pull of it stopped (no duplicates; an interrupted pull resumes)',
        )
        .argument('<url>', 'the server, its discovery URL (…/taxii2/) or an API root')
        .requiredOption('--collection <id>', 'collection id, alias or title')
        .requiredOption('--org <org>', 'organisation that will own the objects (id or name)'),
      'the objects',
      { tlp: 'amber', pap: 'clear', audience: 'org', sharingGroups: [] },
    ),
  )
    .option('--page-size <n>', 'objects per request', (v) => Number.parseInt(v, 10), 500)
    .option('--max-pages <n>', 'stop after this many pages (the next pull goes on from there)', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--from-start', 'forget where the last pull of this collection stopped')
    .option('--timeout <seconds>', 'seconds before a request is given up', (v) => Number.parseInt(v, 10), 60)
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        url: string,
        opts: LabelOptions &
          CredentialOptions & {
            collection: string
            org: string
            pageSize: number
            maxPages?: number
            fromStart?: boolean
            timeout: number
            json?: boolean
          },
      ) => {
        if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1 || opts.pageSize > 10_000) {
          throw badInput('page-size', 'must be an integer from 1 to 10000')
        }
        const credentials = await credentialsOf(deps, opts)
        await deps.withStore(deps.config(), async (store) => {
          const org = await resolveOrganisation(store.db, opts.org)
          const setting = await pullLabelOf(store, opts, {
            tlp: 'amber',
            pap: 'clear',
            audience: 'org',
            sharingGroups: [],
          })
          const label = normaliseLabel({ ownerOrg: org.id, ...setting, recipients: [] })
          assertValidLabel(label, 'label')
          const groupIds = await findGroupIdsOfOrg(store.db, org.id)
          const outside = label.sharingGroups.find((g) => !groupIds.includes(g))
          if (outside !== undefined) {
            throw badInput('group', `${org.name} is not in sharing group ${outside}`)
          }
          const client = new TaxiiClient({ auth: authOf(credentials), timeoutMs: opts.timeout * 1000 })
          const root = await client.findApiRoot(url)
          const sourceKey = `adhoc:${createHash('sha256').update(`${root.url}\n${org.id}`).digest('hex').slice(0, 40)}`
          if (opts.fromStart === true) {
            await deletePullCursors(store.db, sourceKey, opts.collection)
          }
          const remote = { id: `taxii:${root.url}`, name: root.title }
          const self = await thisInstance(store.db, deps.config())
          const showProgress = opts.json !== true
          const summary = await pullCollection(
            store.db,
            self,
            {
              sourceKey,
              peerId: null,
              client,
              apiRootUrl: root.url,
              collection: opts.collection,
              ownerOrgId: org.id,
              label,
              pageSize: opts.pageSize,
              fallback: { originInstance: remote, originOrg: root.title, hops: [remote] },
              source: `taxii:${root.url}#${opts.collection}`,
              actor: deps.operator(),
            },
            {
              ...(opts.maxPages === undefined ? {} : { maxPages: opts.maxPages }),
              onPage: (progress) => {
                if (showProgress) {
                  output.err(
                    `page ${progress.pages}: ${progress.accepted} stored, ${progress.rejected} rejected so far`,
                  )
                }
              },
            },
          )
          if (opts.json === true) {
            output.out(JSON.stringify({ apiRoot: root.url, collection: opts.collection, ...summary }))
          } else {
            output.out(
              `Pulled ${opts.collection} from ${root.url}: ${summary.pages} page(s), ${summary.accepted} object(s) stored or already held, ${summary.rejected} rejected${summary.complete ? '' : ' (stopped early: run again to go on)'}`,
            )
          }
          if (summary.rejected > 0) {
            deps.fail(1)
          }
        })
      },
    )

  const peer = program
    .command('peer')
    .description('federation peers: other instances this one pulls from and pushes to')
  addCredentialOptions(
    addLabelOptions(
      peer
        .command('add')
        .description('add a peer (credentials are sealed with the instance secret key and never shown again)')
        .requiredOption('--name <name>', 'peer name (unique)')
        .requiredOption('--url <url>', 'the peer server, its discovery URL or an API root')
        .requiredOption('--org <org>', 'the local organisation that stands for the peer (id or name)')
        .option('--pull <collection>', 'collection to pull (id, alias or title); repeatable', collect, [])
        .option('--push <collection>', 'collection of the peer to push to'),
      'pulled objects',
      DEFAULT_PULL_LABEL,
    ),
  )
    .option('--interval <seconds>', 'seconds between scheduled syncs', (v) => Number.parseInt(v, 10), 300)
    .option('--page-size <n>', 'objects per request', (v) => Number.parseInt(v, 10), 500)
    .option('--disabled', 'add it without scheduled syncs')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: LabelOptions &
          CredentialOptions & {
            name: string
            url: string
            org: string
            pull: string[]
            push?: string
            interval: number
            pageSize: number
            disabled?: boolean
            json?: boolean
          },
      ) => {
        const credentials = await credentialsOf(deps, opts)
        await deps.withStore(deps.config(), async (store) => {
          const org = await resolveOrganisation(store.db, opts.org)
          const pullLabel = await pullLabelOf(store, opts, DEFAULT_PULL_LABEL)
          const row = await createPeer(store.db, deps.operator(), deps.config(), {
            name: opts.name,
            url: opts.url,
            orgId: org.id,
            pullCollections: opts.pull,
            pushCollection: opts.push ?? null,
            pullLabel,
            intervalSeconds: opts.interval,
            pageSize: opts.pageSize,
            enabled: opts.disabled !== true,
            credentials,
          })
          const wire = presentPeer(await getPeer(store.db, null, row.id))
          output.out(
            opts.json === true
              ? JSON.stringify(wire)
              : `Added peer ${wire.name} (${wire.id}) at ${wire.url}, standing for ${wire.orgName}; credentials: ${wire.credentials}`,
          )
        })
      },
    )

  peer
    .command('list')
    .description('list peers with their last sync, lag and last error')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await deps.withStore(deps.config(), async (store) => {
        const items = (await listPeers(store.db, null)).map(presentPeer)
        if (opts.json === true) {
          output.out(JSON.stringify(items))
          return
        }
        const seconds = (s: number | null) => (s === null ? null : `${Math.round(s)} s`)
        output.out(
          table(
            ['ID', 'NAME', 'URL', 'ORG', 'PULL', 'PUSH', 'LAST SYNC', 'PUSH LAG', 'PULL LAG', 'LAST ERROR'],
            items.map((p) => [
              p.id,
              p.name,
              p.url,
              p.orgName,
              p.pullCollections.join(',') || null,
              p.pushCollection,
              p.lastSyncAt,
              seconds(p.pushLagSeconds),
              seconds(p.pullLagSeconds),
              p.lastError,
            ]),
          ),
        )
      })
    })

  peer
    .command('sync')
    .description('sync a peer now: pull its collections, then push; exits 1 when the sync failed')
    .argument('<peer>', 'peer id or name')
    .option('--pull-only', 'only pull')
    .option('--push-only', 'only push')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { pullOnly?: boolean; pushOnly?: boolean; json?: boolean }) => {
      const summary = await deps.withStore(deps.config(), async (store) => {
        const row = await resolvePeer(store.db, ref)
        return syncPeer(
          { db: store.db, config: deps.config() },
          row.id,
          opts.pullOnly === true ? { only: 'pull' } : opts.pushOnly === true ? { only: 'push' } : {},
        )
      })
      if (opts.json === true) {
        output.out(JSON.stringify(summary))
      } else {
        const { pulled, pushed } = summary
        output.out(
          `Pulled ${pulled.accepted} object(s) in ${pulled.pages} page(s), ${pulled.rejected} rejected, ${pulled.deleted} deletion(s); pushed ${pushed.sent} of ${pushed.considered} considered (${pushed.accepted} accepted, ${pushed.rejected} rejected, ${pushed.filtered} filtered), ${pushed.deleted} deletion(s)`,
        )
        if (summary.error !== null) {
          output.err(`sync failed: ${summary.error}`)
        }
      }
      if (summary.error !== null) {
        deps.fail(1)
      }
    })

  peer
    .command('remove')
    .description('remove a peer with its cursors and receipts (what it sent stays)')
    .argument('<peer>', 'peer id or name')
    .action(async (ref: string) => {
      await deps.withStore(deps.config(), async (store) => {
        const row = await resolvePeer(store.db, ref)
        await deletePeer(store.db, deps.operator(), row.id)
        output.out(`Removed peer ${row.name} (${row.id}).`)
      })
    })
}
