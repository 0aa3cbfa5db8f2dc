import { InvalidArgumentError, type Command } from 'commander'
import { ROLES, Role } from '../core/account/account.js'
import type { OperatorActor } from '../core/account/principal.js'
import type { Config } from '../server/config.js'
import { badInput } from '../server/errors.js'
import { presentCollectionRoles } from '../server/modules/taxii/taxii.admin.presenter.js'
import { changeCollectionRoles, listCollectionRoles } from '../server/modules/taxii/taxii.admin.service.js'
import { TAXII_API_ROOT } from '../server/modules/taxii/taxii.service.js'
import type { Store } from '../server/store/store.js'
import { table, type Output } from './output.js'

/** What the TAXII server commands need from the program. */
export interface TaxiiCommandDeps {
  config: () => Config
  output: Output
  operator: () => OperatorActor
  withStore: <T>(config: Config, work: (store: Store) => Promise<T>) => Promise<T>
}

/** A comma-separated list of roles (empty: none), or a usage error naming the first unknown one. */
function roleList(value: string): Role[] {
  const roles: Role[] = []
  for (const name of value.split(',').map((r) => r.trim())) {
    if (name === '') {
      continue
    }
    if (!Role.is(name)) {
      throw new InvalidArgumentError(`unknown role ${name} (roles: ${ROLES.join(', ')})`)
    }
    roles.push(name)
  }
  return roles
}

/**
 * Adds `liaison taxii collections` and `liaison taxii roles` (who may read and write this server's
 * collections) to the `taxii` command, made here when it does not exist yet.
 */
export function addTaxiiCommands(program: Command, deps: TaxiiCommandDeps): void {
  const { output } = deps
  const taxii =
    program.commands.find((c) => c.name() === 'taxii') ?? program.command('taxii').description('TAXII 2.1')

  taxii
    .command('collections')
    .description("list this server's TAXII collections with the roles that may read and write each")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await deps.withStore(deps.config(), async (store) => {
        const items = (await listCollectionRoles(store.db, deps.operator(), TAXII_API_ROOT)).map(
          presentCollectionRoles,
        )
        if (opts.json === true) {
          output.out(JSON.stringify(items))
          return
        }
        output.out(
          table(
            ['ID', 'ALIAS', 'TITLE', 'READ', 'WRITE'],
            items.map((c) => [
              c.id,
              c.alias,
              c.title,
              c.readRoles.join(',') || '(nobody)',
              c.writeRoles.join(',') || '(nobody)',
            ]),
          ),
        )
      })
    })

  taxii
    .command('roles')
    .description(
      'set which roles may read and write a collection of this server (audited); a list not given stays as it is',
    )
    .argument('<collection>', 'collection id or alias (see taxii collections)')
    .option(
      '--read <roles>',
      `roles that may read, comma-separated ("" for nobody): ${ROLES.join(', ')}`,
      roleList,
    )
    .option(
      '--write <roles>',
      'roles that may write, comma-separated ("" for nobody; viewers never write)',
      roleList,
    )
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { read?: Role[]; write?: Role[]; json?: boolean }) => {
      if (opts.read === undefined && opts.write === undefined) {
        throw badInput('read', 'give --read, --write or both')
      }
      await deps.withStore(deps.config(), async (store) => {
        const current = (await listCollectionRoles(store.db, deps.operator(), TAXII_API_ROOT)).find(
          (c) => c.id === ref || c.alias === ref,
        )
        const changed = presentCollectionRoles(
          await changeCollectionRoles(store.db, deps.operator(), TAXII_API_ROOT, ref, {
            readRoles: opts.read ?? [...(current?.readRoles ?? [])],
            writeRoles: opts.write ?? [...(current?.writeRoles ?? [])],
          }),
        )
        output.out(
          opts.json === true
            ? JSON.stringify(changed)
            : `Collection ${changed.alias} (${changed.id}): read ${changed.readRoles.join(',') || '(nobody)'}; write ${changed.writeRoles.join(',') || '(nobody)'}`,
        )
      })
    })
}
