import type { Kysely } from 'kysely'

/**
 * Trust: sharing groups, content-addressed sharing labels, the organisation directory's profile,
 * and knowledge documents (the first labelled record).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of [
    'description',
    'website',
    'security_contact',
    'pgp_key',
    'private_notes',
    'internal_contact',
  ]) {
    await db.schema.alterTable('organisations').addColumn(column, 'text').execute()
  }

  await db.schema
    .createTable('sharing_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('owner_org_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('hidden_membership', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('sharing_groups_owner_idx')
    .on('sharing_groups')
    .column('owner_org_id')
    .execute()

  await db.schema
    .createTable('sharing_group_members')
    .addColumn('group_id', 'text', (c) => c.notNull().references('sharing_groups.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sharing_group_members_pk', ['group_id', 'org_id'])
    .execute()
  await db.schema
    .createIndex('sharing_group_members_org_idx')
    .on('sharing_group_members')
    .column('org_id')
    .execute()

  // Labels are immutable and keyed by the hash of their content: the thousands of records of one
  // import share one row, so "which labels may this caller see" is a small query.
  await db.schema
    .createTable('labels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    .addColumn('tlp', 'text', (c) => c.notNull())
    .addColumn('pap', 'text', (c) => c.notNull())
    .addColumn('audience', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('labels_owner_idx').on('labels').column('owner_org_id').execute()
  await db.schema.createIndex('labels_audience_idx').on('labels').column('audience').execute()
  await db.schema
    .createTable('label_groups')
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('group_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('label_groups_pk', ['label_id', 'group_id'])
    .execute()
  await db.schema.createIndex('label_groups_group_idx').on('label_groups').column('group_id').execute()
  await db.schema
    .createTable('label_recipients')
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('label_recipients_pk', ['label_id', 'user_id'])
    .execute()
  await db.schema.createIndex('label_recipients_user_idx').on('label_recipients').column('user_id').execute()

  await db.schema
    .createTable('documents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('title_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('documents_label_idx').on('documents').column('label_id').execute()
  await db.schema.createIndex('documents_updated_idx').on('documents').column('updated_at').execute()
}

/** Drops everything {@link up} created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'documents',
    'label_recipients',
    'label_groups',
    'labels',
    'sharing_group_members',
    'sharing_groups',
  ]) {
    await db.schema.dropTable(table).ifExists().execute()
  }
  for (const column of [
    'description',
    'website',
    'security_contact',
    'pgp_key',
    'private_notes',
    'internal_contact',
  ]) {
    await db.schema.alterTable('organisations').dropColumn(column).execute()
  }
}
