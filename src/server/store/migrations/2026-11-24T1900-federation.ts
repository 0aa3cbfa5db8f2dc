import { randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'

/**
 * Federation between instances: this instance's stable id, peers (each represented by a local
 * organisation, credentials sealed), pull cursors per peer and collection, delivery receipts, the
 * provenance of objects that came from elsewhere, and tombstones of deleted object versions (so
 * deletions reach the peers that received them).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('instance_identity')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await sql`insert into instance_identity (id, created_at) values (${randomUUID()}, ${new Date().toISOString()})`.execute(
    db,
  )

  await db.schema
    .createTable('federation_peers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // Lower-cased name, unique.
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    // As configured: the server, its discovery URL or an API root.
    .addColumn('url', 'text', (c) => c.notNull())
    // The API root found by discovery (absolute URL), null until the first sync.
    .addColumn('api_root_url', 'text')
    // The local organisation that stands for the peer: its visibility decides what is pushed, it
    // owns what is pulled.
    .addColumn('org_id', 'text', (c) => c.notNull().unique().references('organisations.id'))
    // JSON list of collection ids (or aliases) to pull.
    .addColumn('pull_collections', 'text', (c) => c.notNull())
    .addColumn('push_collection', 'text')
    // JSON: the label pulled objects get ({ tlp, pap, audience, sharingGroups }).
    .addColumn('pull_label', 'text', (c) => c.notNull())
    .addColumn('page_size', 'integer', (c) => c.notNull())
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    // Sealed with the instance secret key (AES-256-GCM); never returned by the API.
    .addColumn('credentials', 'text')
    // Learnt from the peer's TAXII discovery (x_liaison_instance_id) when it is a Liaison instance.
    .addColumn('remote_instance_id', 'text')
    .addColumn('remote_instance_name', 'text')
    // JSON keyset positions: the last local object version considered for a push, and the last
    // local deletion considered.
    .addColumn('push_cursor', 'text')
    .addColumn('deletion_cursor', 'text')
    .addColumn('last_sync_at', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('last_error_at', 'text')
    // Which process syncs the peer now, and until when its claim holds.
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('federation_pull_cursors')
    // A peer id, or `adhoc:<hash>` for `liaison taxii pull` without a peer.
    .addColumn('source_key', 'text', (c) => c.notNull())
    .addColumn('collection', 'text', (c) => c.notNull())
    .addColumn('added_after', 'text')
    .addColumn('next', 'text')
    // JSON position in a Liaison peer's deletion feed.
    .addColumn('deletions_after', 'text')
    .addColumn('pages', 'integer', (c) => c.notNull())
    .addColumn('objects', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('federation_pull_cursors_pk', ['source_key', 'collection'])
    .execute()

  await db.schema
    .createTable('federation_receipts')
    .addColumn('peer_id', 'text', (c) => c.notNull())
    // `push` or `pull`.
    .addColumn('direction', 'text', (c) => c.notNull())
    // `object` (a version sent or received) or `delete` (a deletion passed on).
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    // Whose copy: the local owner for pushes, the peer's organisation for pulls.
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    // The label of the item: receipts are listed through the visibility rule like the item itself.
    .addColumn('label_id', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    // `sent`, `accepted`, `rejected` or `filtered`.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('reason', 'text')
    // The TAXII status resource of the POST that carried it, while it is `sent`.
    .addColumn('status_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('federation_receipts_pk', [
      'peer_id',
      'direction',
      'action',
      'object_id',
      'version',
      'owner_org_id',
    ])
    .execute()
  await db.schema
    .createIndex('federation_receipts_recent_idx')
    .on('federation_receipts')
    .columns(['peer_id', 'updated_at'])
    .execute()
  await db.schema
    .createIndex('federation_receipts_status_idx')
    .on('federation_receipts')
    .columns(['peer_id', 'status', 'status_id'])
    .execute()
  await db.schema
    .createIndex('federation_receipts_object_idx')
    .on('federation_receipts')
    .columns(['object_id'])
    .execute()

  await db.schema
    .createTable('stix_provenance')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    .addColumn('origin_instance_id', 'text', (c) => c.notNull())
    .addColumn('origin_instance_name', 'text', (c) => c.notNull())
    .addColumn('origin_org', 'text', (c) => c.notNull())
    // JSON list of { id, name }: the instances it passed through, origin first, the sender last.
    .addColumn('hops', 'text', (c) => c.notNull())
    // The peer it came from (null: a TAXII POST or pull without a peer).
    .addColumn('peer_id', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stix_provenance_pk', ['id', 'owner_org_id', 'modified'])
    .execute()

  await db.schema
    .createTable('stix_deletions')
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('label_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stix_deletions_pk', ['deleted_at', 'id', 'owner_org_id', 'modified'])
    .execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'stix_deletions',
    'stix_provenance',
    'federation_receipts',
    'federation_pull_cursors',
    'federation_peers',
    'instance_identity',
  ]) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
