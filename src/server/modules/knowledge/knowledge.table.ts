import type { Selectable } from 'kysely'

/** `documents`: the shared repository of tools, methodologies, forms and procedures; each labelled. */
export interface DocumentTable {
  id: string
  title: string
  /** Lower-cased title, for search. */
  title_key: string
  kind: string
  body: string
  label_id: string
  created_by: string
  created_at: string
  updated_at: string
}

/** A row read from `documents`. */
export type DocumentRow = Selectable<DocumentTable>
