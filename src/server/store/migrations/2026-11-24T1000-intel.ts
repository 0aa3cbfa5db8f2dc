import type { Kysely } from 'kysely'

/**
 * Threat intelligence: STIX objects (every version, one copy per owner organisation, each under its
 * label), the observable index for correlation, references between objects, and import records.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('stix_objects')
    .addColumn('id', 'text', (c) => c.notNull())
    // The original `modified` string (full precision); '' for objects without one (SCOs).
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created', 'text')
    .addColumn('valid_until', 'text')
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_latest', 'integer', (c) => c.notNull())
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('import_id', 'text')
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stix_objects_pk', ['id', 'modified', 'owner_org_id'])
    .execute()
  await db.schema
    .createIndex('stix_objects_latest_type_idx')
    .on('stix_objects')
    .columns(['is_latest', 'type'])
    .execute()
  await db.schema.createIndex('stix_objects_label_idx').on('stix_objects').column('label_id').execute()
  await db.schema.createIndex('stix_objects_added_idx').on('stix_objects').column('added_at').execute()
  await db.schema.createIndex('stix_objects_id_idx').on('stix_objects').columns(['id', 'is_latest']).execute()

  await db.schema
    .createTable('observables')
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('range_start', 'text')
    .addColumn('range_end', 'text')
    // 1 for a network (a CIDR range), 0 for anything else: "which networks contain this address"
    // then searches the few networks only, not every address.
    .addColumn('network', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('origin', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('observables_key_idx').on('observables').column('key').execute()
  await db.schema
    .createIndex('observables_range_idx')
    .on('observables')
    .columns(['kind', 'network', 'range_start'])
    .execute()
  await db.schema
    .createIndex('observables_object_idx')
    .on('observables')
    .columns(['object_id', 'owner_org_id'])
    .execute()

  await db.schema
    .createTable('stix_refs')
    .addColumn('from_id', 'text', (c) => c.notNull())
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    .addColumn('to_id', 'text', (c) => c.notNull())
    .addColumn('property', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('stix_refs_to_idx').on('stix_refs').column('to_id').execute()
  await db.schema
    .createIndex('stix_refs_from_idx')
    .on('stix_refs')
    .columns(['from_id', 'owner_org_id'])
    .execute()

  await db.schema
    .createTable('intel_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('label_id', 'text', (c) => c.notNull())
    .addColumn('created', 'integer', (c) => c.notNull())
    .addColumn('updated', 'integer', (c) => c.notNull())
    .addColumn('unchanged', 'integer', (c) => c.notNull())
    .addColumn('rejected', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['intel_imports', 'stix_refs', 'observables', 'stix_objects']) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
