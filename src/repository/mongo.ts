import { MongoClient, type Db } from 'mongodb';

export interface RepositoryOptions {
  /** MongoDB connection string. */
  uri: string;
  /** Database name. @default 'tally' */
  database?: string;
}

export async function connectMongo(options: RepositoryOptions): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(options.uri, { serverSelectionTimeoutMS: 10_000, retryWrites: false });
  await client.connect();
  return { client, db: client.db(options.database ?? 'tally') };
}
