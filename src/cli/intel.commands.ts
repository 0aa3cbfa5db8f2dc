import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Option, type Command } from 'commander'
import type { OperatorActor } from '../core/account/principal.js'
import {
  AUDIENCES,
  PAP_LEVELS,
  TLP_LEVELS,
  type Audience,
  type Pap,
  type Tlp,
  type Viewer,
} from '../core/trust/label.js'
import type { Config } from '../server/config.js'
import { badInput, LiaisonError } from '../server/errors.js'
import { isPeerOrganisation } from '../server/modules/federation/federation.repository.js'
import { findGroupIdsOfOrg } from '../server/modules/group/group.repository.js'
import { resolveGroup } from '../server/modules/group/group.service.js'
import { exportCsv, exportMispEvents, exportStixBundle } from '../server/modules/intel/intel.export.js'
import {
  importContent,
  type Importer,
  type ImportRequest,
  type ImportResult,
} from '../server/modules/intel/intel.service.js'
import { reindexObjects } from '../server/modules/intel/intel.reindex.js'
import { importStixFile, isLargeFile } from '../server/modules/intel/intel.stream.js'
import { thisInstance } from '../server/modules/federation/federation.service.js'
import { resolveOrganisation } from '../server/modules/org/org.service.js'
import { resolveUser } from '../server/modules/user/user.service.js'
import type { Db, Store } from '../server/store/store.js'
import type { Output } from './output.js'

/** What the intel commands need from the program. */
export interface IntelCommandDeps {
  config: () => Config
  output: Output
  operator: () => OperatorActor
  withStore: <T>(config: Config, work: (store: Store) => Promise<T>) => Promise<T>
  /** Ends the command with an exit code. */
  fail: (exitCode: number) => never
}

const collect = (value: string, previous: string[]) => [...previous, value]

/** Adds `liaison import`, `liaison export` and `liaison reindex`. */
export function addIntelCommands(program: Command, deps: IntelCommandDeps): void {
  const { output } = deps
  program
    .command('import')
    .description(
      'import STIX 2.1 (or 2.0, upgraded) bundles and MISP events; atomic per file unless --skip-invalid',
    )
    .argument('<files...>', 'JSON files (format detected)')
    .requiredOption('--org <org>', 'organisation that will own the objects (id or name)')
    .option('--user <user>', 'importing user (e-mail or id): named recipient of TLP:RED content')
    .addOption(
      new Option('--format <format>', 'content format').choices(['auto', 'stix', 'misp']).default('auto'),
    )
    .addOption(
      new Option(
        '--tlp <tlp>',
        'TLP of the import (default: the content’s strictest marking, else amber)',
      ).choices([...TLP_LEVELS]),
    )
    .addOption(new Option('--pap <pap>', 'PAP of the import').choices([...PAP_LEVELS]))
    .addOption(new Option('--audience <audience>', 'who receives it (default: org)').choices([...AUDIENCES]))
    .option('--group <group>', 'sharing group for --audience group (id or name); repeatable', collect, [])
    .option('--recipient <user>', 'named recipient for TLP:RED (e-mail or id); repeatable', collect, [])
    .option('--skip-invalid', 'store the valid objects and report each rejected one')
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        files: string[],
        opts: {
          org: string
          user?: string
          format: 'auto' | 'stix' | 'misp'
          tlp?: Tlp
          pap?: Pap
          audience?: Audience
          group: string[]
          recipient: string[]
          skipInvalid?: boolean
          json?: boolean
        },
      ) => {
        const summaries: (ImportResult & { file: string })[] = []
        /** Files refused whole (atomic: nothing of them stored), with every problem named. */
        const refusals: FileRefusal[] = []
        await deps.withStore(deps.config(), async (store) => {
          const org = await resolveOrganisation(store.db, opts.org)
          const user = opts.user === undefined ? null : await resolveUser(store.db, opts.user)
          if (user !== null && user.org_id !== org.id) {
            throw badInput('user', `${user.email} is not a member of ${org.name}`)
          }
          const groups = []
          for (const ref of opts.group) {
            groups.push((await resolveGroup(store.db, ref)).id)
          }
          const recipients = []
          for (const ref of opts.recipient) {
            recipients.push((await resolveUser(store.db, ref)).id)
          }
          const importer = {
            actor: deps.operator(),
            orgId: org.id,
            groupIds: await findGroupIdsOfOrg(store.db, org.id),
            userId: user?.id ?? recipients[0] ?? '',
          }
          for (const file of files) {
            const started = Date.now()
            const showProgress = !opts.json && process.stderr.isTTY
            const bar = (what: string, done: number, total: number) => {
              if (showProgress) {
                const width = 30
                const filled = total === 0 ? width : Math.round((done / total) * width)
                process.stderr.write(
                  `\r${path.basename(file)} ${what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`,
                )
              }
            }
            const request: ImportRequest = {
              format: opts.format,
              label: {
                ...(opts.tlp === undefined ? {} : { tlp: opts.tlp }),
                ...(opts.pap === undefined ? {} : { pap: opts.pap }),
                ...(opts.audience === undefined ? {} : { audience: opts.audience }),
                ...(groups.length === 0 ? {} : { sharingGroups: groups }),
                ...(recipients.length === 0 ? {} : { recipients }),
              },
              skipInvalid: opts.skipInvalid === true,
              source: `file:${path.basename(file)}`,
              onMap: (done, total) => bar('mapping', done, total),
              onCheck: (done, total) => bar('checking', done, total),
              onProgress: (done, total) => bar('storing', done, total),
            }
            let summary: ImportResult
            try {
              summary = await importFile(store.db, importer, file, request, opts.format)
            } catch (error) {
              // A file refused whole (bad content, a label it cannot take): nothing of it is stored;
              // say why, all of it, and go on with the next file.
              if (!(error instanceof LiaisonError) || error.status !== 400) {
                throw error
              }
              if (showProgress) {
                process.stderr.write('\n')
              }
              const refusal = refusalOf(file, error)
              refusals.push(refusal)
              if (!opts.json) {
                output.err(`${file}: refused, nothing imported: ${error.message}`)
                for (const problem of refusal.problems.slice(0, 50)) {
                  output.err(`  problem: ${problem.message}`)
                }
                if (refusal.problemCount > 50) {
                  output.err(`  … and ${refusal.problemCount - 50} more`)
                }
              }
              continue
            }
            if (showProgress) {
              process.stderr.write('\n')
            }
            summaries.push({ file, ...summary })
            if (!opts.json) {
              const seconds = ((Date.now() - started) / 1000).toFixed(1)
              output.out(
                `${file}: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected (${seconds} s)${summary.upgradedFrom20 ? ' [STIX 2.0 upgraded]' : ''}`,
              )
              if (summary.release !== null) {
                output.out(
                  `  held for four-eyes release ${summary.release.id}: organisation only until another member approves it`,
                )
              }
              for (const problem of summary.problems.slice(0, 50)) {
                output.out(`  rejected: ${problem.message}`)
              }
              for (const warning of summary.warnings.items.slice(0, 20)) {
                output.out(`  warning: ${warning.message}`)
              }
              if (summary.warnings.total > 20) {
                output.out(`  … and ${summary.warnings.total - 20} more warnings`)
              }
              if (summary.problems.length > 50) {
                output.out(`  … and ${summary.problems.length - 50} more`)
              }
              const flagged = summary.warninglistHits
              if (flagged.total > 0) {
                output.out(`  ${flagged.total} value(s) on enabled warninglists (known-benign):`)
                for (const hit of flagged.items.slice(0, 20)) {
                  output.out(`  warninglist: ${hit.value} in ${hit.objectId} is on "${hit.warninglist}"`)
                }
                if (flagged.total > 20) {
                  output.out(`  … and ${flagged.total - 20} more`)
                }
              }
            }
          }
        })
        if (opts.json) {
          const results = [...summaries, ...refusals].sort(
            (a, b) => files.indexOf(a.file) - files.indexOf(b.file),
          )
          output.out(JSON.stringify(results.length === 1 ? results[0] : results))
        }
        // 2 when a file was refused whole (as for any bad input), 1 when objects were rejected.
        if (refusals.length > 0) {
          deps.fail(2)
        } else if (summaries.some((s) => s.rejected > 0)) {
          deps.fail(1)
        }
      },
    )

  program
    .command('export')
    .description('export what a user may see (the visibility rule applies; without --as: public only)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['stix', 'misp', 'csv']).makeOptionMandatory(),
    )
    .option('--as <user>', 'export as this user (e-mail or id): exactly what they may see')
    .option('--type <type>', 'STIX type; repeatable', collect, [])
    .option('--added-after <iso>', 'only objects added at or after this instant')
    .option('--added-before <iso>', 'only objects added before this instant')
    .addOption(
      new Option('--tlp <tlp>', 'only this TLP; repeatable')
        .choices([...TLP_LEVELS])
        .argParser(collect)
        .default([]),
    )
    .option('--source <source>', 'only objects from this source (e.g. file:apt1.json)')
    .option('--name <text>', 'only objects whose name contains this text (case-insensitive)')
    .option('--include-expired', 'keep indicators past valid_until')
    .option('--all-versions', 'every version, not only the latest of each copy (STIX and CSV)')
    .option(
      '--for-blocking',
      'leave out revoked objects, and indicators and observables on enabled warninglists (known-benign)',
    )
    .option('--output <file>', 'write to a file instead of standard output')
    .action(
      async (opts: {
        format: 'stix' | 'misp' | 'csv'
        as?: string
        type: string[]
        addedAfter?: string
        addedBefore?: string
        tlp: string[]
        source?: string
        name?: string
        includeExpired?: boolean
        allVersions?: boolean
        forBlocking?: boolean
        output?: string
      }) => {
        await deps.withStore(deps.config(), async (store) => {
          let viewer: Viewer = { kind: 'anonymous' }
          if (opts.as !== undefined) {
            const user = await resolveUser(store.db, opts.as)
            viewer = {
              kind: 'user',
              userId: user.id,
              orgId: user.org_id,
              groupIds: await findGroupIdsOfOrg(store.db, user.org_id),
              peer: await isPeerOrganisation(store.db, user.org_id),
            }
          }
          const instant = (name: string, value: string | undefined) => {
            if (value === undefined) {
              return undefined
            }
            const ms = Date.parse(value)
            if (!Number.isFinite(ms)) {
              throw badInput(name, `not a date: ${value}`)
            }
            return new Date(ms).toISOString()
          }
          const addedAfter = instant('added-after', opts.addedAfter)
          const addedBefore = instant('added-before', opts.addedBefore)
          const filter = {
            ...(opts.type.length === 0 ? {} : { types: opts.type }),
            ...(addedAfter === undefined ? {} : { addedAfter }),
            ...(addedBefore === undefined ? {} : { addedBefore }),
            ...(opts.tlp.length === 0 ? {} : { tlp: opts.tlp }),
            ...(opts.source === undefined ? {} : { source: opts.source }),
            ...(opts.name === undefined ? {} : { name: nameFilter(opts.name) }),
            excludeExpired: opts.includeExpired !== true,
            forBlocking: opts.forBlocking === true,
            allVersions: opts.allVersions === true,
            instance: await thisInstance(store.db, deps.config()),
          }
          if (filter.allVersions && opts.format === 'misp') {
            throw badInput('all-versions', 'MISP has no versions: --all-versions is for STIX and CSV exports')
          }
          const chunks =
            opts.format === 'csv'
              ? exportCsv(store.db, viewer, filter)
              : opts.format === 'misp'
                ? exportMispEvents(store.db, viewer, filter)
                : exportStixBundle(store.db, viewer, filter)
          await pipeline(
            Readable.from(chunks),
            opts.output === undefined ? process.stdout : createWriteStream(opts.output),
          )
        })
      },
    )

  program
    .command('reindex')
    .description(
      'rebuild the observable index and references of the stored objects from their JSON (after an upgrade that indexes more)',
    )
    .option('--type <type>', 'only this STIX type; repeatable', collect, [])
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { type: string[]; json?: boolean }) => {
      await deps.withStore(deps.config(), async (store) => {
        const showProgress = opts.json !== true && process.stderr.isTTY
        const summary = await reindexObjects(store.db, deps.operator(), {
          ...(opts.type.length === 0 ? {} : { types: opts.type }),
          ...(showProgress
            ? { onProgress: (done: number) => process.stderr.write(`\r  ${done} objects`) }
            : {}),
        })
        if (showProgress) {
          process.stderr.write('\n')
        }
        output.out(
          opts.json === true
            ? JSON.stringify(summary)
            : `reindexed ${summary.objects} objects: ${summary.observables} observables, ${summary.references} references`,
        )
      })
    })
}

/** A file an import refused whole: why, and every problem (up to 1,000 named, all counted). */
interface FileRefusal {
  readonly file: string
  readonly refused: true
  readonly error: string
  readonly problemCount: number
  readonly problems: readonly { message: string; property?: string; rule?: string }[]
}

function refusalOf(file: string, error: LiaisonError): FileRefusal {
  const details = (error.details ?? {}) as { problems?: unknown; problemCount?: unknown }
  const problems = Array.isArray(details.problems)
    ? (details.problems as { message: string; property?: string; rule?: string }[])
    : [{ message: error.message }]
  const problemCount = typeof details.problemCount === 'number' ? details.problemCount : problems.length
  return { file, refused: true, error: error.message, problemCount, problems }
}

/**
 * Imports one file: a large STIX 2.1 bundle piece by piece, anything else (MISP, STIX 2.0, small
 * files) whole.
 */
async function importFile(
  db: Db,
  importer: Importer,
  file: string,
  request: ImportRequest,
  format: ImportRequest['format'],
): Promise<ImportResult> {
  const streamed =
    format !== 'misp' && (await isLargeFile(file)) ? await importStixFile(db, importer, file, request) : null
  if (streamed !== null) {
    return streamed
  }
  let content: unknown
  try {
    content = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    throw badInput(file, `not readable JSON: ${error instanceof Error ? error.message : 'unknown error'}`)
  }
  return importContent(db, importer, content, request)
}

/** The text of `--name`: some text (an empty one would match every named object: refused). */
function nameFilter(text: string): string {
  if (text.trim() === '') {
    throw badInput('name', 'give some text the names must contain')
  }
  return text
}
