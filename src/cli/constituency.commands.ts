import { constants } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Command } from 'commander'
import { CSV_COLUMNS } from '../core/constituency/constituency.js'
import type { OperatorActor } from '../core/account/principal.js'
import type { Config } from '../server/config.js'
import { badInput, LiaisonError } from '../server/errors.js'
import {
  presentConstituent,
  presentNotification,
} from '../server/modules/constituency/constituency.presenter.js'
import {
  findOwners,
  importConstituencyCsv,
  listConstituents,
} from '../server/modules/constituency/constituency.service.js'
import { createMailer } from '../server/modules/notify/mailer.js'
import { notifyOwners } from '../server/modules/notify/notify.service.js'
import { generateSigningKey } from '../server/modules/notify/signing.js'
import type { Store } from '../server/store/store.js'
import { table, type Output } from './output.js'

/** What the constituency and notify commands need from the program. */
export interface ConstituencyCommandDeps {
  config: () => Config
  output: Output
  operator: () => OperatorActor
  withStore: <T>(config: Config, work: (store: Store) => Promise<T>) => Promise<T>
  /** Ends the command with an exit code (the command has printed why). */
  fail: (exitCode: number) => never
  /** Standard input as text (for passphrases). */
  readStdin: () => Promise<string>
}

/**
 * Adds `liaison constituency import|list|lookup|notify` and `liaison notify keygen`.
 */
export function addConstituencyCommands(program: Command, deps: ConstituencyCommandDeps): void {
  const { output } = deps
  const constituency = program
    .command('constituency')
    .description('the constituency register: who owns which netblocks, ASNs and domains, and whom to notify')

  constituency
    .command('import')
    .description(
      `import constituents from CSV (columns ${CSV_COLUMNS.join(', ')}; several values per cell separated by spaces or ;); all rows or none`,
    )
    .argument('<file>', 'CSV file; pgp_key_file paths are relative to it')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      let text: string
      try {
        text = await readFile(file, 'utf8')
      } catch (error) {
        throw badInput(file, `not readable (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
      }
      const base = path.dirname(path.resolve(file))
      await deps.withStore(deps.config(), async (store) => {
        let result
        try {
          result = await importConstituencyCsv(store.db, deps.operator(), text, {
            readKeyFile: (keyFile) => readFile(path.resolve(base, keyFile), 'utf8'),
          })
        } catch (error) {
          const problems = error instanceof LiaisonError ? error.details?.problems : undefined
          if (Array.isArray(problems)) {
            for (const p of problems as { row: number; column: string; message: string }[]) {
              output.err(`${file}: row ${p.row}, column ${p.column}: ${p.message}`)
            }
            output.err(
              `${file}: nothing imported (${String(error instanceof LiaisonError ? error.details?.problemCount : problems.length)} problem(s))`,
            )
            deps.fail(2)
          }
          throw error
        }
        if (opts.json) {
          output.out(JSON.stringify(result))
          return
        }
        for (const c of result.constituents) {
          output.out(`row ${c.line}: ${c.action} "${c.name}" (${c.id})`)
        }
        output.out(`${file}: ${result.created} created, ${result.updated} updated`)
      })
    })

  constituency
    .command('list')
    .description('list constituents with their ranges')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await deps.withStore(deps.config(), async (store) => {
        const items = []
        for (let offset = 0; ; offset += 500) {
          const page = await listConstituents(store.db, deps.operator(), { limit: 500, offset })
          items.push(...page.items.map(presentConstituent))
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
            ['ID', 'NAME', 'ABUSE', 'RANGES', 'PGP'],
            items.map((c) => [
              c.id,
              c.name,
              c.abuseEmails.join(' '),
              c.ranges.map((r) => r.value).join(' '),
              c.pgpFingerprint ?? '',
            ]),
          ),
        )
      })
    })

  constituency
    .command('lookup')
    .description(
      'who owns a value: IP (most specific netblock, then --asn), network, ASN, domain, URL, e-mail',
    )
    .argument('<value>', 'the value')
    .option('--asn <asn>', 'AS the IP was seen in (used when no netblock matches)')
    .option('--json', 'print JSON')
    .action(async (value: string, opts: { asn?: string; json?: boolean }) => {
      await deps.withStore(deps.config(), async (store) => {
        const lookup = await findOwners(store.db, value, opts.asn)
        if (opts.json) {
          output.out(JSON.stringify(lookup))
        } else if (lookup.normalised === null) {
          output.out(`${value}: not an IP, network, ASN, domain, URL or e-mail address; it has no owner`)
        } else if (lookup.owners.length === 0) {
          output.out(`${lookup.normalised}: no owner in the constituency register`)
        } else {
          output.out(
            table(
              ['OWNER', 'ABUSE', 'MATCHED'],
              lookup.owners.map((o) => [o.name, o.abuseEmails.join(' '), `${o.kind} ${o.matched}`]),
            ),
          )
        }
        if (lookup.owners.length === 0) {
          deps.fail(1)
        }
      })
    })

  constituency
    .command('notify')
    .description('send each owner of the values one mail naming its own values (via LIAISON_SMTP_RELAY)')
    .argument('<values...>', 'IPs, networks, ASNs, domains, URLs')
    .option('--incident <id>', 'incident id or reference the mails are about')
    .option('--subject <subject>', 'subject line')
    .option('--message <text>', 'text before the list of values')
    .option('--rsit <class>', 'RSIT classification, e.g. malicious-code/infected-system')
    .option('--tlp <tlp>', 'TLP:CLEAR, TLP:GREEN, TLP:AMBER (default), TLP:AMBER+STRICT, TLP:RED')
    .option('--json', 'print JSON')
    .action(
      async (
        values: string[],
        opts: {
          incident?: string
          subject?: string
          message?: string
          rsit?: string
          tlp?: string
          json?: boolean
        },
      ) => {
        const config = deps.config()
        const mailer = createMailer(config)
        try {
          await deps.withStore(config, async (store) => {
            const result = await notifyOwners(
              store.db,
              deps.operator(),
              {
                observables: values,
                ...(opts.incident === undefined ? {} : { incidentId: opts.incident }),
                ...(opts.subject === undefined ? {} : { subject: opts.subject }),
                ...(opts.message === undefined ? {} : { message: opts.message }),
                ...(opts.rsit === undefined ? {} : { rsitClass: opts.rsit }),
                ...(opts.tlp === undefined ? {} : { tlp: opts.tlp as 'TLP:AMBER' }),
              },
              { mailer, instanceName: config.instanceName, now: () => new Date() },
            )
            const wire = result.notifications.map(presentNotification)
            if (opts.json) {
              output.out(JSON.stringify({ ...result, notifications: wire }))
            } else {
              for (const n of wire) {
                output.out(
                  `${n.status}: ${n.constituentName} <${n.recipients.join(', ')}> ${n.observables.length} value(s)${n.signed ? ', signed' : ''}${n.encrypted ? ', encrypted' : ''}${n.error === null ? '' : ` — ${n.error}`}`,
                )
              }
              for (const value of result.unmatched) {
                output.out(`no owner: ${value}`)
              }
              for (const value of result.ignored) {
                output.out(`ignored (cannot have an owner): ${value}`)
              }
            }
            if (wire.some((n) => n.status === 'failed')) {
              deps.fail(1)
            }
          })
        } finally {
          mailer.close()
        }
      },
    )

  const notify = program.command('notify').description('outbound notification mail')
  notify
    .command('keygen')
    .description(
      'generate the instance OpenPGP signing key (Curve25519); set LIAISON_OPENPGP_KEY_FILE to the file to sign notifications',
    )
    .requiredOption(
      '--out <file>',
      'where to write the armored private key (created with mode 600; never overwritten)',
    )
    .option('--name <name>', 'user id name (default: LIAISON_INSTANCE_NAME)')
    .option('--email <email>', 'user id e-mail (default: LIAISON_REPORT_ADDRESS)')
    .option('--passphrase-stdin', 'protect the key with a passphrase read from standard input')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        out: string
        name?: string
        email?: string
        passphraseStdin?: boolean
        json?: boolean
      }) => {
        const config = deps.config()
        const passphrase = opts.passphraseStdin ? (await deps.readStdin()).replace(/\r?\n$/, '') : null
        if (passphrase === '') {
          throw badInput('passphrase', 'is empty')
        }
        const key = await generateSigningKey(
          opts.name ?? config.instanceName,
          opts.email ?? config.reportAddress,
          passphrase,
        )
        let handle
        try {
          handle = await open(opts.out, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
        } catch (error) {
          throw badInput(
            'out',
            `cannot create ${opts.out} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
          )
        }
        try {
          await handle.writeFile(key.privateKey)
        } finally {
          await handle.close()
        }
        if (opts.json) {
          output.out(
            JSON.stringify({
              file: path.resolve(opts.out),
              fingerprint: key.fingerprint,
              publicKey: key.publicKey,
            }),
          )
          return
        }
        output.out(`Wrote the private key to ${path.resolve(opts.out)} (fingerprint ${key.fingerprint}).`)
        output.out(
          `Set LIAISON_OPENPGP_KEY_FILE=${path.resolve(opts.out)}${passphrase === null ? '' : ' and LIAISON_OPENPGP_PASSPHRASE'} to sign notifications. Public key for your constituents:`,
        )
        output.out(key.publicKey.trimEnd())
      },
    )
}
