// Public surface of the MISP module: read MISP content, map events to STIX 2.1 and back.

export {
  parseMispContent,
  parseMispContentSteps,
  parseMispEvent,
  PARSE_STEP,
  type ParsedMispContent,
} from './parse.js'
export { mispEventToStix, tlpMarkingDefinition, type MispToStixResult } from './to-stix.js'
export { stixToMispEvent, toMispJson, type StixToMispOptions, type StixToMispResult } from './from-stix.js'
export { isKnownAttributeType, listAttributeTypes, MISP_CATEGORIES } from './attribute-types.js'
export type {
  JsonValue,
  MispAttribute,
  MispAudience,
  MispEvent,
  MispEventReport,
  MispGalaxy,
  MispGalaxyCluster,
  MispObject,
  MispObjectReference,
  MispOrg,
  MispProblem,
  MispSighting,
  MispTag,
  MispTlp,
  StixObject,
} from './misp.js'
