/** A module of Liaison: its name and what it is for. */
export interface ModuleInfo {
  /** Name shown in the navigation and as page heading. */
  title: string
  /** One sentence on what the module holds. */
  purpose: string
}

/** The modules that exist, keyed by their URL segment; their pages say what they are for. */
export const MODULES = {
  directory: {
    title: 'Directory',
    purpose:
      'The organisations of this community: who they are, how to reach their security team, and their OpenPGP keys.',
  },
  sharing: {
    title: 'Sharing',
    purpose:
      'Sharing groups are trust circles of organisations. Label an item for a group and only its member organisations see it.',
  },
  intelligence: {
    title: 'Intelligence',
    purpose:
      'Collect and enrich indicators, threat actors and reports, with STIX 2.1 and MISP import and export.',
  },
  incidents: {
    title: 'Incidents',
    purpose:
      'Record, triage and coordinate the handling of security incidents, classified with the RSIT taxonomy.',
  },
  knowledge: {
    title: 'Knowledge',
    purpose:
      'The shared repository of tools, methodologies, forms and procedures, each under its own sharing label.',
  },
} as const satisfies Record<string, ModuleInfo>

/** The modules still to come, keyed by their URL segment. */
export const UPCOMING_MODULES = {
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
} as const satisfies Record<string, ModuleInfo>

/** URL segment of an upcoming module. */
export type UpcomingModuleKey = keyof typeof UPCOMING_MODULES
