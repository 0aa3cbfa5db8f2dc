import type { Kysely } from 'kysely'

/**
 * The two indexes of `stix_refs` take the other end of the reference as a further column, so that an
 * object's related objects are read a page at a time in id order from the index alone
 * (`findVisibleNeighbours`): the objects a report names in `to_id` order after (`from_id`,
 * `owner_org_id`), those naming an object in `from_id` order after `to_id`. Before, each page sorted
 * every reference of the object first: 0.7-1.3 s a page for the report of a 100,000-attribute MISP
 * event (400,000 members), and as much for a marking definition or an identity that a million
 * objects name. Every look-up the indexes served before (by source and owner, by target) is a prefix
 * of the new ones.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('stix_refs_from_idx').execute()
  await db.schema
    .createIndex('stix_refs_from_idx')
    .on('stix_refs')
    .columns(['from_id', 'owner_org_id', 'to_id'])
    .execute()
  await db.schema.dropIndex('stix_refs_to_idx').execute()
  await db.schema.createIndex('stix_refs_to_idx').on('stix_refs').columns(['to_id', 'from_id']).execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('stix_refs_from_idx').execute()
  await db.schema
    .createIndex('stix_refs_from_idx')
    .on('stix_refs')
    .columns(['from_id', 'owner_org_id'])
    .execute()
  await db.schema.dropIndex('stix_refs_to_idx').execute()
  await db.schema.createIndex('stix_refs_to_idx').on('stix_refs').column('to_id').execute()
}
