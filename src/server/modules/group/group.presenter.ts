import type { GroupWire } from '../../../core/trust/group.schema.js'
import type { GroupView } from './group.service.js'

/** The only way a sharing group leaves as JSON. */
export function presentGroup(view: GroupView): GroupWire {
  return {
    id: view.group.id,
    name: view.group.name,
    description: view.group.description,
    ownerOrgId: view.group.owner_org_id,
    ownerOrgName: view.ownerOrgName,
    hiddenMembership: view.group.hidden_membership === 1,
    members:
      view.members === null
        ? null
        : view.members.map((m) => ({ orgId: m.org_id, name: m.name, type: m.type, country: m.country })),
    memberCount: view.memberCount,
    yourOrgIsMember: view.yourOrgIsMember,
    canManage: view.canManage,
    createdAt: view.group.created_at,
    updatedAt: view.group.updated_at,
  }
}
