import type { Kysely } from 'kysely'

/**
 * Incidents: the incidents themselves (labelled, with SLA deadlines and the NIS2 Article 23 clock
 * and facts), the reports
 * they were made from, tasks, notes (each labelled), the timeline, linked observables and objects,
 * participants (organisations shared with by name) and each organisation's SLA settings.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('impact', 'text', (c) => c.notNull())
    .addColumn('rsit_class', 'text')
    .addColumn('rsit_type', 'text')
    .addColumn('assignee_id', 'text')
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('owner_org_id', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('closed_at', 'text')
    .addColumn('acknowledge_due_at', 'text', (c) => c.notNull())
    .addColumn('resolve_due_at', 'text', (c) => c.notNull())
    .addColumn('nis2_significant', 'integer')
    .addColumn('trust_service_provider', 'integer')
    .addColumn('nis2_time_zone', 'text', (c) => c.notNull().defaultTo('Europe/Brussels'))
    .addColumn('aware_at', 'text')
    .addColumn('early_warning_sent_at', 'text')
    .addColumn('notification_sent_at', 'text')
    .addColumn('progress_report_sent_at', 'text')
    .addColumn('final_report_sent_at', 'text')
    .addColumn('nis2_intermediate_requests', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('nis2_suspected_malicious', 'integer')
    .addColumn('nis2_cross_border', 'integer')
    .addColumn('nis2_root_cause', 'text')
    .addColumn('nis2_mitigation_applied', 'text')
    .addColumn('nis2_mitigation_ongoing', 'text')
    .addColumn('nis2_next_due_at', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('incidents_label_idx').on('incidents').column('label_id').execute()
  await db.schema
    .createIndex('incidents_status_idx')
    .on('incidents')
    .columns(['status', 'updated_at'])
    .execute()
  await db.schema.createIndex('incidents_nis2_due_idx').on('incidents').column('nis2_next_due_at').execute()

  await db.schema
    .createTable('incident_reports')
    .addColumn('report_id', 'text', (c) => c.primaryKey().references('reports.id'))
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('incident_reports_incident_idx')
    .on('incident_reports')
    .column('incident_id')
    .execute()

  await db.schema
    .createTable('incident_tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('due_at', 'text')
    .addColumn('done_at', 'text')
    .addColumn('assignee_id', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('incident_tasks_incident_idx')
    .on('incident_tasks')
    .column('incident_id')
    .execute()

  await db.schema
    .createTable('incident_notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id'))
    .addColumn('shared', 'integer', (c) => c.notNull())
    .addColumn('author_user_id', 'text', (c) => c.notNull())
    .addColumn('author_org_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('incident_notes_incident_idx')
    .on('incident_notes')
    .columns(['incident_id', 'created_at'])
    .execute()

  await db.schema
    .createTable('incident_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'text', (c) => c.notNull())
    .addColumn('actor_org_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('note_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('incident_events_incident_idx')
    .on('incident_events')
    .columns(['incident_id', 'position'])
    .unique()
    .execute()

  await db.schema
    .createTable('incident_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('observable_kind', 'text')
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('incident_links_unique', ['incident_id', 'kind', 'ref'])
    .execute()
  await db.schema.createIndex('incident_links_ref_idx').on('incident_links').column('ref').execute()

  await db.schema
    .createTable('incident_participants')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('added_by', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_participants_pk', ['incident_id', 'org_id'])
    .execute()
  await db.schema
    .createIndex('incident_participants_org_idx')
    .on('incident_participants')
    .column('org_id')
    .execute()

  await db.schema
    .createTable('incident_sla_settings')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('acknowledge_minutes', 'integer', (c) => c.notNull())
    .addColumn('resolve_minutes', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_sla_settings_pk', ['org_id', 'severity'])
    .execute()
}

/** Drops the incident tables. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'incident_sla_settings',
    'incident_participants',
    'incident_links',
    'incident_events',
    'incident_notes',
    'incident_tasks',
    'incident_reports',
    'incidents',
  ]) {
    await db.schema.dropTable(table).execute()
  }
}
