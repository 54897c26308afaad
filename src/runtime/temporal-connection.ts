import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createPayloadCodec } from '../security/payload-codec';
import { clientTracingInterceptors } from '../observability/tracing';
import type { SecretKey } from '../security/secret-key';

/** Every Tally process encrypts workflow payloads, so histories carry no plaintext. */
export function tallyDataConverter(key: SecretKey): DataConverter {
  return { payloadCodecs: [createPayloadCodec(key)] };
}

export async function connectTemporalClient(options: { address: string; namespace: string; key: SecretKey }) {
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection, namespace: options.namespace, dataConverter: tallyDataConverter(options.key), interceptors: { workflow: clientTracingInterceptors() } });
  return { connection, client };
}
