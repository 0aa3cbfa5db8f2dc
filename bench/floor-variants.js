// Schema floor variants: `node bench/floor-variants.js current|narrow|seq|seq-text|inline [--count N]`.
// Inserts the ingest benchmark's rows (one indicator and its observable each) with plain prepared
// statements into a scratch SQLite schema and prints rows/s: `current` is Liaison's object and
// observable tables with their indexes (the ingest benchmark's schema floor); the others are designs
// measured for raising that floor (README, performance), none of which Liaison uses:
// - `narrow`: the date-added index on (added_at) alone, the observables' object index on object_id;
// - `seq`: versions keyed by an integer surrogate, observables pointing at it, owners and labels as
//   small integers, the date-added index on (added_at) alone;
// - `seq-text`: the same with owners and labels left as text, and the label index kept;
// - `inline`: `seq` with the observable key in the object's own row (indexed where present), no
//   observable table.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { indicator } from './fixtures.js'

const args = process.argv.slice(2)
const variant = args[0] ?? 'current'
const countAt = args.indexOf('--count')
const count = countAt >= 0 ? Number(args[countAt + 1]) : 1_000_000
// The ingest benchmark's values and ids: ~10 % shared values, sequential ids.
const shared = Math.max(1, Math.floor(count / 10))
const valueOf = (i) => {
  const n = i % 10 === 0 ? i % shared : i
  return `${10 + ((n >>> 16) & 0xff)}.${(n >>> 8) & 0xff}.${n & 0xff}.${(n >>> 24) & 0xff}`
}
const uuidOf = (i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${'0'.repeat(12)}`
const hex = (v) =>
  v
    .split('.')
    .map((x) => Number(x).toString(16).padStart(2, '0'))
    .join('')

const OBJECT_COLUMNS =
  'id text not null, modified text not null, type text not null, created text, valid_until text, revoked integer default 0 not null, is_latest integer not null, json text not null, source text, import_id text, added_at text not null, name text'
const SCHEMAS = {
  current: `create table stix_objects (${OBJECT_COLUMNS}, owner_org_id text not null, label_id text not null, primary key (id, modified, owner_org_id));
    create index stix_objects_label_idx on stix_objects (label_id);
    create index stix_objects_added_key_idx on stix_objects (added_at, id, owner_org_id, modified);
    create index stix_objects_latest_type_idx on stix_objects (is_latest, type, label_id);
    create table observables (object_id text not null, owner_org_id text not null, kind text not null, key text not null, range_start text, range_end text, network integer default 0 not null, origin text not null);
    create index observables_key_idx on observables (key);
    create index observables_range_idx on observables (kind, network, range_start);
    create index observables_object_idx on observables (object_id, owner_org_id);`,
  narrow: `create table stix_objects (${OBJECT_COLUMNS}, owner_org_id text not null, label_id text not null, primary key (id, modified, owner_org_id));
    create index stix_objects_label_idx on stix_objects (label_id);
    create index stix_objects_added_key_idx on stix_objects (added_at);
    create index stix_objects_latest_type_idx on stix_objects (is_latest, type, label_id);
    create table observables (object_id text not null, owner_org_id text not null, kind text not null, key text not null, range_start text, range_end text, network integer default 0 not null, origin text not null);
    create index observables_key_idx on observables (key);
    create index observables_range_idx on observables (kind, network, range_start);
    create index observables_object_idx on observables (object_id);`,
  seq: `create table stix_objects (seq integer primary key, ${OBJECT_COLUMNS}, owner integer not null, label integer not null);
    create unique index stix_objects_key on stix_objects (id, modified, owner);
    create index stix_objects_added on stix_objects (added_at);
    create index stix_objects_latest_type on stix_objects (is_latest, type, label);
    create table observables (object_seq integer not null, kind text not null, key text not null, range_start text, range_end text, network integer default 0 not null, origin text not null);
    create index observables_key on observables (key);
    create index observables_range on observables (kind, network, range_start);
    create index observables_object on observables (object_seq);`,
  'seq-text': `create table stix_objects (seq integer primary key, ${OBJECT_COLUMNS}, owner text not null, label text not null);
    create unique index stix_objects_key on stix_objects (id, modified, owner);
    create index stix_objects_added on stix_objects (added_at, seq);
    create index stix_objects_latest_type on stix_objects (is_latest, type, label);
    create index stix_objects_label on stix_objects (label);
    create table observables (object_seq integer not null, kind text not null, key text not null, range_start text, range_end text, network integer default 0 not null, origin text not null);
    create index observables_key on observables (key);
    create index observables_range on observables (kind, network, range_start);
    create index observables_object on observables (object_seq);`,
  inline: `create table stix_objects (seq integer primary key, ${OBJECT_COLUMNS}, owner integer not null, label integer not null, observable_key text);
    create unique index stix_objects_key on stix_objects (id, modified, owner);
    create index stix_objects_added on stix_objects (added_at);
    create index stix_objects_latest_type on stix_objects (is_latest, type, label);
    create index stix_objects_observable on stix_objects (observable_key) where observable_key is not null;`,
}
if (!(variant in SCHEMAS) || !Number.isInteger(count) || count < 1) {
  console.error(`usage: node bench/floor-variants.js ${Object.keys(SCHEMAS).join('|')} [--count N]`)
  process.exit(2)
}

const dir = mkdtempSync(path.join(tmpdir(), 'liaison-floor-'))
const db = new Database(path.join(dir, 'floor.db'))
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.pragma('cache_size = -262144')
db.exec(SCHEMAS[variant])
const org = randomUUID()
const label = randomUUID()
const importId = randomUUID()
const addedAt = new Date().toISOString()
const seqColumns =
  'id, modified, type, created, valid_until, revoked, is_latest, json, source, import_id, added_at, name, owner, label'
// The object row's values but its owner and label (and, inline, its observable key).
const objectValues = (o) => [
  o.id,
  o.modified,
  o.type,
  o.created,
  JSON.stringify(o),
  importId,
  addedAt,
  o.name,
]
let insert
if (variant === 'current' || variant === 'narrow') {
  const object = db.prepare(
    `insert into stix_objects (${seqColumns.replace('owner, label', 'owner_org_id, label_id')}) values (?, ?, ?, ?, null, 0, 1, ?, 'bench', ?, ?, ?, ?, ?)`,
  )
  const observable = db.prepare(
    "insert into observables (object_id, owner_org_id, kind, key, range_start, range_end, network, origin) values (?, ?, 'ipv4-addr', ?, ?, ?, 0, 'pattern')",
  )
  insert = (o, v) => {
    object.run(...objectValues(o), org, label)
    observable.run(o.id, org, `ipv4:${v}`, hex(v), hex(v))
  }
} else if (variant === 'inline') {
  const object = db.prepare(
    `insert into stix_objects (${seqColumns}, observable_key) values (?, ?, ?, ?, null, 0, 1, ?, 'bench', ?, ?, ?, 3, 7, ?)`,
  )
  insert = (o, v) => {
    object.run(...objectValues(o), `ipv4:${hex(v)}`)
  }
} else {
  const [owner, labelKey] = variant === 'seq' ? [3, 7] : [org, label]
  const object = db.prepare(
    `insert into stix_objects (${seqColumns}) values (?, ?, ?, ?, null, 0, 1, ?, 'bench', ?, ?, ?, ?, ?)`,
  )
  const observable = db.prepare(
    "insert into observables (object_seq, kind, key, range_start, range_end, network, origin) values (?, 'ipv4-addr', ?, ?, ?, 0, 'pattern')",
  )
  insert = (o, v) => {
    const { lastInsertRowid } = object.run(...objectValues(o), owner, labelKey)
    observable.run(lastInsertRowid, `ipv4:${v}`, hex(v), hex(v))
  }
}
const started = performance.now()
db.transaction(() => {
  for (let i = 0; i < count; i++) {
    insert(indicator(`indicator--${uuidOf(i)}`, null, valueOf(i)), valueOf(i))
  }
})()
const seconds = (performance.now() - started) / 1000
db.close()
rmSync(dir, { recursive: true, force: true })
console.log(
  `${variant}: ${count} objects with their observable in ${seconds.toFixed(2)} s: ${Math.round(count / seconds)} objects/s`,
)
