import {
  SUPPORTED_WARNINGLIST_TYPES,
  WARNINGLIST_CATEGORIES,
  type SupportedWarninglistType,
  type WarninglistCategory,
} from '../../../core/intel/warninglist.js'
import type { WarninglistWire } from '../../../core/intel/warninglist.schema.js'
import type { WarninglistRow } from './warninglist.table.js'

function isType(type: string): type is SupportedWarninglistType {
  return (SUPPORTED_WARNINGLIST_TYPES as readonly string[]).includes(type)
}

function isCategory(category: string): category is WarninglistCategory {
  return (WARNINGLIST_CATEGORIES as readonly string[]).includes(category)
}

/** The only way a warninglist leaves as JSON (its entries stay inside). */
export function presentWarninglist(row: WarninglistRow): WarninglistWire {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    // Rows are written from checked lists only; the fallbacks keep the wire type honest.
    type: isType(row.type) ? row.type : 'string',
    description: row.description,
    category: row.category !== null && isCategory(row.category) ? row.category : null,
    matchingAttributes: JSON.parse(row.matching_attributes) as string[],
    enabled: row.enabled === 1,
    entryCount: row.entry_count,
    importedAt: row.imported_at,
    updatedAt: row.updated_at,
  }
}
