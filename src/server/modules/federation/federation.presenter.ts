import type { PeerWire, PullLabel, ReceiptWire } from '../../../core/federation/federation.schema.js'
import { credentialKindOf } from './federation.credentials.js'
import type { PeerView } from './federation.service.js'
import type { FederationReceiptRow } from './federation.table.js'

/** The only way a peer leaves as JSON: never its credentials, only which kind is stored. */
export function presentPeer(view: PeerView): PeerWire {
  const { row } = view
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    apiRootUrl: row.api_root_url,
    orgId: row.org_id,
    orgName: view.orgName,
    pullCollections: JSON.parse(row.pull_collections) as string[],
    pushCollection: row.push_collection,
    pullLabel: JSON.parse(row.pull_label) as PullLabel,
    intervalSeconds: row.interval_seconds,
    pageSize: row.page_size,
    enabled: row.enabled === 1,
    credentials: credentialKindOf(row.credentials),
    remoteInstance:
      row.remote_instance_id === null
        ? null
        : { id: row.remote_instance_id, name: row.remote_instance_name ?? row.remote_instance_id },
    lastSyncAt: row.last_sync_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    pushLagSeconds: view.pushLagSeconds,
    pullLagSeconds: view.pullLagSeconds,
    receipts: view.receipts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The only way a receipt leaves as JSON. */
export function presentReceipt(row: FederationReceiptRow): ReceiptWire {
  return {
    peerId: row.peer_id,
    direction: row.direction === 'pull' || row.direction === 'serve' ? row.direction : 'push',
    action: row.action === 'delete' ? 'delete' : 'object',
    objectId: row.object_id,
    objectType: row.object_type,
    version: row.version,
    ownerOrgId: row.owner_org_id,
    status:
      row.status === 'accepted' || row.status === 'rejected' || row.status === 'filtered'
        ? row.status
        : 'sent',
    rule: row.rule,
    reason: row.reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
