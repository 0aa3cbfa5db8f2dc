import type { Db } from '../../store/store.js'
import type { TaxiiCollectionRow } from './taxii.table.js'

/** The columns an instance admin's view of a collection needs. */
export type CollectionRolesRow = Pick<
  TaxiiCollectionRow,
  'id' | 'alias' | 'title' | 'audience' | 'sharing_group_id' | 'read_roles' | 'write_roles'
>

/**
 * Every collection of an API root, those of every sharing group included, in a stable order (by
 * key). A handful of rows per audience plus one per sharing group that has used TAXII.
 */
export async function findAllCollectionsOfRoot(db: Db, apiRoot: string): Promise<CollectionRolesRow[]> {
  return db
    .selectFrom('taxii_collections')
    .select(['id', 'alias', 'title', 'audience', 'sharing_group_id', 'read_roles', 'write_roles'])
    .where('api_root', '=', apiRoot)
    .orderBy('key')
    .execute()
}
