import type { Migration } from 'kysely'
import * as foundation from './2026-11-24T0800-foundation.js'
import * as trust from './2026-11-24T0900-trust.js'
import * as intel from './2026-11-24T1000-intel.js'
import * as warninglists from './2026-11-24T1100-warninglists.js'
import * as release from './2026-11-24T1200-release.js'
import * as reports from './2026-11-24T1500-reports.js'
import * as intakeMail from './2026-11-24T1510-intake-mail.js'
import * as incidents from './2026-11-24T1600-incidents.js'
import * as constituency from './2026-11-24T1700-constituency.js'
import * as taxii from './2026-11-24T1800-taxii.js'
import * as federation from './2026-11-24T1900-federation.js'
import * as taxiiDurablePost from './2026-11-24T2000-taxii-durable-post.js'
import * as intelClock from './2026-11-24T2100-intel-clock.js'
import * as intelIndexes from './2026-11-25T0600-intel-indexes.js'
import * as longObservableKeys from './2026-11-25T0900-long-observable-keys.js'
import * as refOrderIndexes from './2026-11-25T1600-ref-order-indexes.js'
import * as microsecondInstants from './2026-11-25T1630-microsecond-instants.js'
import * as objectNames from './2026-11-25T1900-object-names.js'

/**
 * Every migration, in order; the key is the migration's name in `kysely_migration`.
 * One list serves SQLite and PostgreSQL.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-24T0800-foundation': foundation,
  '2026-11-24T0900-trust': trust,
  '2026-11-24T1000-intel': intel,
  '2026-11-24T1100-warninglists': warninglists,
  '2026-11-24T1200-release': release,
  '2026-11-24T1500-reports': reports,
  '2026-11-24T1510-intake-mail': intakeMail,
  '2026-11-24T1600-incidents': incidents,
  '2026-11-24T1700-constituency': constituency,
  '2026-11-24T1800-taxii': taxii,
  '2026-11-24T1900-federation': federation,
  '2026-11-24T2000-taxii-durable-post': taxiiDurablePost,
  '2026-11-24T2100-intel-clock': intelClock,
  '2026-11-25T0600-intel-indexes': intelIndexes,
  '2026-11-25T0900-long-observable-keys': longObservableKeys,
  '2026-11-25T1600-ref-order-indexes': refOrderIndexes,
  '2026-11-25T1630-microsecond-instants': microsecondInstants,
  '2026-11-25T1900-object-names': objectNames,
}
