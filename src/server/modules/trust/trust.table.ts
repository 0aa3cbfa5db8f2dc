/** `labels`: one row per distinct sharing label (id = SHA-256 of its canonical form); never updated. */
export interface LabelTable {
  id: string
  owner_org_id: string
  tlp: string
  pap: string
  audience: string
  created_at: string
}

/** `label_groups`: the sharing groups of a label with audience `group`. */
export interface LabelGroupTable {
  label_id: string
  group_id: string
}

/** `label_recipients`: the named recipients of a TLP:RED label. */
export interface LabelRecipientTable {
  label_id: string
  user_id: string
}
