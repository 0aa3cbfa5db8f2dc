/** A module of Liaison that is planned but not built yet. */
export interface UpcomingModule {
  /** Name shown in the navigation and as page heading. */
  title: string
  /** One sentence on what the module will hold. */
  purpose: string
}

/** The modules still to come, keyed by their URL segment. */
export const UPCOMING_MODULES = {
  incidents: {
    title: 'Incidents',
    purpose:
      'Record, triage and coordinate the handling of security incidents, classified with the RSIT taxonomy.',
  },
  intelligence: {
    title: 'Intelligence',
    purpose:
      'Collect and enrich indicators, threat actors and reports, with STIX 2.1 and MISP import and export.',
  },
  sharing: {
    title: 'Sharing',
    purpose:
      'Share incidents and intelligence with trusted organisations and communities, under TLP and sharing rules you control.',
  },
  advisories: {
    title: 'Advisories',
    purpose: 'Write and publish security advisories and warnings for your constituency.',
  },
  cooperation: {
    title: 'Cooperation',
    purpose:
      'Exchange and track formal requests between CSIRTs, ISACs, law-enforcement and judicial authorities.',
  },
  crisis: {
    title: 'Crisis',
    purpose:
      'Coordinate a large-scale cyber crisis: a shared situation picture, decisions taken and who to call.',
  },
  metrics: {
    title: 'Metrics',
    purpose:
      'See figures on the incidents handled and the information shared, for reporting to your community.',
  },
  knowledge: {
    title: 'Knowledge',
    purpose: 'Keep the procedures, playbooks and reference documents your team relies on in one place.',
  },
} as const satisfies Record<string, UpcomingModule>

/** URL segment of an upcoming module. */
export type UpcomingModuleKey = keyof typeof UPCOMING_MODULES
