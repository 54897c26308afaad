/**
 * Index documents `<name>` -> userOid, so a user is found by name with a lookup by `_id` (FerretDB scans
 * the whole collection for any other filter). Correlation by name, the seeds' correlation, uses it too.
 * A key may be stale (a renamed or deleted user): lookups check the user they find.
 */
import type { Collection, Db } from 'mongodb';
import type { UserDoc } from '../schema/objects';

export const userNamesCollection = 'userNames';

interface NameKey {
  _id: string;
  userOid: string;
}

const keys = (db: Db): Collection<NameKey> => db.collection<NameKey>(userNamesCollection);

export async function indexUserName(db: Db, user: Pick<UserDoc, 'oid' | 'name'>): Promise<void> {
  await keys(db).updateOne({ _id: user.name }, { $set: { userOid: user.oid } }, { upsert: true });
}

export async function unindexUserName(db: Db, user: Pick<UserDoc, 'oid' | 'name'>): Promise<void> {
  if ((await keys(db).findOne({ _id: user.name }))?.userOid === user.oid) await keys(db).deleteOne({ _id: user.name });
}

export async function findUserByName(db: Db, users: Collection<UserDoc>, name: string): Promise<UserDoc | null> {
  const key = await keys(db).findOne({ _id: name });
  if (!key) return null;
  const user = (await users.findOne({ _id: key.userOid } as never, { projection: { _id: 0 } })) as UserDoc | null;
  return user?.name === name ? user : null;
}
