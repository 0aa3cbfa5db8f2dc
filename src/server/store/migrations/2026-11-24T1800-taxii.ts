import { randomUUID } from 'node:crypto'
import { sql, type Kysely } from 'kysely'

/** Every role may read a default collection; every role but viewers may write to it. */
const READ_ROLES = JSON.stringify(['admin', 'handler', 'analyst', 'liaison', 'coordinator', 'viewer'])
const WRITE_ROLES = JSON.stringify(['admin', 'handler', 'analyst', 'liaison', 'coordinator'])

/** The instance's collections, one per audience (sharing groups get theirs when first used). */
const AUDIENCE_COLLECTIONS = [
  {
    key: 'audience:org',
    alias: 'organisation',
    title: 'Organisation only',
    description:
      "Your organisation's own intelligence, and TLP:RED items that name you. What you add is for your organisation only (TLP:AMBER unless an object is marked stricter).",
    audience: 'org',
    tlp: 'amber',
  },
  {
    key: 'audience:community',
    alias: 'community',
    title: 'Community',
    description:
      'Intelligence shared with every organisation on this instance. What you add is TLP:GREEN, community.',
    audience: 'community',
    tlp: 'green',
  },
  {
    key: 'audience:federation',
    alias: 'federation',
    title: 'Federation',
    description:
      'Intelligence shared with this community and its federated peers. What you add is TLP:GREEN, federation.',
    audience: 'federation',
    tlp: 'green',
  },
  {
    key: 'audience:public',
    alias: 'public',
    title: 'Public',
    description: 'Public intelligence, for anyone. What you add is TLP:CLEAR, public.',
    audience: 'public',
    tlp: 'clear',
  },
] as const

/**
 * TAXII 2.1: collections (each a view of the object store by audience or sharing group, with the label
 * a POST gets and the roles that may read and write), status resources of POSTs with their per-object
 * outcomes, and a keyset index for paging objects by (date added, id, owner, modified).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('taxii_collections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_root', 'text', (c) => c.notNull())
    // What the collection holds: `audience:<audience>` or `group:<sharing group id>`.
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    // Null for sharing-group collections: their title comes from the group's current name.
    .addColumn('title', 'text')
    .addColumn('description', 'text')
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('sharing_group_id', 'text')
    .addColumn('post_tlp', 'text', (c) => c.notNull())
    .addColumn('post_pap', 'text', (c) => c.notNull())
    // JSON lists of roles.
    .addColumn('read_roles', 'text', (c) => c.notNull())
    .addColumn('write_roles', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('taxii_collections_key_uq', ['api_root', 'key'])
    .addUniqueConstraint('taxii_collections_alias_uq', ['api_root', 'alias'])
    .execute()

  const now = new Date().toISOString()
  for (const c of AUDIENCE_COLLECTIONS) {
    await sql`insert into taxii_collections
      (id, api_root, key, alias, title, description, audience, sharing_group_id, post_tlp, post_pap, read_roles, write_roles, created_at)
      values (${randomUUID()}, 'liaison', ${c.key}, ${c.alias}, ${c.title}, ${c.description}, ${c.audience}, null,
        ${c.tlp}, 'clear', ${READ_ROLES}, ${WRITE_ROLES}, ${now})`.execute(db)
  }

  await db.schema
    .createTable('taxii_statuses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('api_root', 'text', (c) => c.notNull())
    .addColumn('collection_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('request_timestamp', 'text', (c) => c.notNull())
    .addColumn('total_count', 'integer', (c) => c.notNull())
    .addColumn('success_count', 'integer', (c) => c.notNull())
    .addColumn('failure_count', 'integer', (c) => c.notNull())
    .addColumn('pending_count', 'integer', (c) => c.notNull())
    // JSON list of [id, version] of every object of the POST in envelope order, kept while it is
    // pending (the last pending_count are the pending ones), emptied when complete.
    .addColumn('object_keys', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('taxii_statuses_created_idx')
    .on('taxii_statuses')
    .column('created_at')
    .execute()

  await db.schema
    .createTable('taxii_status_parts')
    .addColumn('status_id', 'text', (c) => c.notNull().references('taxii_statuses.id').onDelete('cascade'))
    .addColumn('part', 'integer', (c) => c.notNull())
    // JSON lists of status details ({ id, version, message? }).
    .addColumn('successes', 'text', (c) => c.notNull())
    .addColumn('failures', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('taxii_status_parts_pk', ['status_id', 'part'])
    .execute()

  // TAXII pages objects in (date added, id, owner, modified) order from a cursor: without this index
  // every page would sort all rows added at one instant (an import stores all its objects at one).
  await db.schema
    .createIndex('stix_objects_added_key_idx')
    .on('stix_objects')
    .columns(['added_at', 'id', 'owner_org_id', 'modified'])
    .execute()
  // It starts with added_at: the index on added_at alone only costs writes now.
  await db.schema.dropIndex('stix_objects_added_idx').execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('stix_objects_added_idx').on('stix_objects').column('added_at').execute()
  await db.schema.dropIndex('stix_objects_added_key_idx').ifExists().execute()
  for (const table of ['taxii_status_parts', 'taxii_statuses', 'taxii_collections']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
