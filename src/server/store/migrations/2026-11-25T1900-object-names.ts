import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * Each stored version keeps its `name` (when the object has one) in a column of its own: the lists
 * of an object's related objects name them, and reading a name out of the stored JSON parses the
 * whole of it (the report of a 300,000-attribute MISP event is 79 MB: 40-400 ms for one name).
 * Existing rows get theirs from their JSON in one UPDATE (a pass over the table).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stix_objects').addColumn('name', 'text').execute()
  // A NUL in a name is written U+FFFD, as imports write it (PostgreSQL's text holds none, and its
  // json functions refuse to read an escaped NUL: the escape is replaced in the JSON text first).
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`
      update stix_objects set name = replace(json, '\\u0000', '\\ufffd')::json ->> 'name'
      where json_typeof(replace(json, '\\u0000', '\\ufffd')::json -> 'name') = 'string'
    `.execute(db)
  } else {
    await sql`
      update stix_objects set name = json_extract(replace(json, '\\u0000', '\\ufffd'), '$.name')
      where json_type(json, '$.name') = 'text'
    `.execute(db)
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stix_objects').dropColumn('name').execute()
}
