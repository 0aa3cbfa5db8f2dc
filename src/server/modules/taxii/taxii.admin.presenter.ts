import type { CollectionRolesWire } from '../../../core/taxii/taxii.admin.schema.js'
import type { CollectionRoles } from './taxii.admin.service.js'

/** The only way a collection with its roles leaves as JSON (`/api/v1/taxii/collections`, the CLI). */
export function presentCollectionRoles(collection: CollectionRoles): CollectionRolesWire {
  return {
    id: collection.id,
    alias: collection.alias,
    title: collection.title,
    audience: collection.audience,
    sharingGroupId: collection.sharingGroupId,
    readRoles: [...collection.readRoles],
    writeRoles: [...collection.writeRoles],
  }
}
