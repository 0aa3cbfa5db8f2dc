import type { Insertable, Selectable, Updateable } from 'kysely'

/** `users`: people who log in; each belongs to exactly one organisation. */
export interface UserTable {
  id: string
  org_id: string
  /** Lower-cased, unique. */
  email: string
  name: string
  role: string
  /** argon2id PHC string. */
  password_hash: string
  must_change_password: number
  disabled: number
  created_at: string
  updated_at: string
  last_login_at: string | null
  password_changed_at: string | null
}

/** A row read from `users`. */
export type UserRow = Selectable<UserTable>
/** A row to insert into `users`. */
export type NewUserRow = Insertable<UserTable>
/** A change to a row of `users`. */
export type UserRowUpdate = Updateable<UserTable>
