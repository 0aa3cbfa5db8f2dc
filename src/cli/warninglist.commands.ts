import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { OperatorActor } from '../core/account/principal.js'
import type { WarninglistWire } from '../core/intel/warninglist.schema.js'
import type { Config } from '../server/config.js'
import { badInput } from '../server/errors.js'
import { presentWarninglist } from '../server/modules/warninglist/warninglist.presenter.js'
import {
  checkWarninglistValues,
  importWarninglist,
  listWarninglists,
  resolveWarninglist,
  updateWarninglist,
} from '../server/modules/warninglist/warninglist.service.js'
import type { Store } from '../server/store/store.js'
import { table, type Output } from './output.js'

/** What the warninglist commands need from the program. */
export interface WarninglistCommandDeps {
  config: () => Config
  output: Output
  operator: () => OperatorActor
  withStore: <T>(config: Config, work: (store: Store) => Promise<T>) => Promise<T>
}

/** Adds `liaison warninglist import|list|enable|disable|check`. */
export function addWarninglistCommands(program: Command, deps: WarninglistCommandDeps): void {
  const { output } = deps
  const warninglist = program
    .command('warninglist')
    .description(
      'MISP warninglists of known-benign values: flagged on import and correlation, kept out of exports for blocking',
    )

  warninglist
    .command('import')
    .description('import MISP warninglists (list.json); one of the same name is replaced; atomic per file')
    .argument('<files...>', 'MISP warninglist JSON files')
    .option('--json', 'print JSON')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const results: { file: string; warninglist: WarninglistWire; replacedVersion: number | null }[] = []
      await deps.withStore(deps.config(), async (store) => {
        for (const file of files) {
          let content: unknown
          try {
            content = JSON.parse(await readFile(file, 'utf8'))
          } catch (error) {
            throw badInput(
              file,
              `not readable JSON: ${error instanceof Error ? error.message : 'unknown error'}`,
            )
          }
          let imported
          try {
            imported = await importWarninglist(store.db, deps.operator(), content)
          } catch (error) {
            if (error instanceof Error) {
              error.message = `${file}: ${error.message}`
            }
            throw error
          }
          const wire = presentWarninglist(imported.row)
          results.push({ file, warninglist: wire, replacedVersion: imported.replacedVersion })
          if (!opts.json) {
            output.out(
              imported.replacedVersion === null
                ? `${file}: imported "${wire.name}" v${wire.version} (${wire.type}, ${wire.entryCount} entries) as ${wire.id}`
                : `${file}: replaced "${wire.name}" v${imported.replacedVersion} by v${wire.version} (${wire.type}, ${wire.entryCount} entries)${wire.enabled ? '' : ', still disabled'}`,
            )
          }
        }
      })
      if (opts.json) {
        output.out(JSON.stringify(results.length === 1 ? results[0] : results))
      }
    })

  warninglist
    .command('list')
    .description('list warninglists')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await deps.withStore(deps.config(), async (store) => {
        const items = (await listWarninglists(store.db)).map(presentWarninglist)
        if (opts.json) {
          output.out(JSON.stringify(items))
          return
        }
        output.out(
          table(
            ['ID', 'NAME', 'VERSION', 'TYPE', 'ENTRIES', 'ENABLED'],
            items.map((w) => [
              w.id,
              w.name,
              String(w.version),
              w.type,
              String(w.entryCount),
              w.enabled ? 'yes' : 'no',
            ]),
          ),
        )
      })
    })

  for (const verb of ['enable', 'disable'] as const) {
    warninglist
      .command(verb)
      .description(`${verb} a warninglist`)
      .argument('<list>', 'warninglist id or name')
      .option('--json', 'print JSON')
      .action(async (ref: string, opts: { json?: boolean }) => {
        await deps.withStore(deps.config(), async (store) => {
          const row = await resolveWarninglist(store.db, ref)
          const wire = presentWarninglist(
            await updateWarninglist(store.db, deps.operator(), row.id, { enabled: verb === 'enable' }),
          )
          output.out(
            opts.json
              ? JSON.stringify(wire)
              : `${verb === 'enable' ? 'Enabled' : 'Disabled'} "${wire.name}".`,
          )
        })
      })
  }

  warninglist
    .command('check')
    .description('say which enabled warninglists a value is on')
    .argument('<value>', 'an IP address or network, domain, URL, hash, e-mail address or text')
    .option('--json', 'print JSON')
    .action(async (value: string, opts: { json?: boolean }) => {
      await deps.withStore(deps.config(), async (store) => {
        const [hits] = await checkWarninglistValues(store.db, [value])
        const matches = (hits ?? []).map((h) => ({ id: h.warninglistId, name: h.name, entry: h.entry }))
        if (opts.json) {
          output.out(JSON.stringify({ value, matches }))
          return
        }
        output.out(
          matches.length === 0
            ? `${value}: on no enabled warninglist`
            : matches.map((m) => `${value}: on "${m.name}" (entry ${m.entry})`).join('\n'),
        )
      })
    })
}
