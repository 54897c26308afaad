/**
 * A Temporal PayloadCodec that encrypts every payload (AES-256-GCM), so workflow histories hold no plaintext.
 *
 * Wiring (worker and client both need the same codec):
 *   const codec = createPayloadCodec(loadSecretKey());
 *   const dataConverter = { payloadCodecs: [codec] };
 *   await Worker.create({ ..., dataConverter });
 *   new Client({ connection, namespace, dataConverter });
 * The codec runs outside the workflow sandbox, so workflows need no change.
 *
 * Payloads written before encryption was turned on (no `binary/encrypted` encoding) decode unchanged.
 * Key rotation: pass the old keys as `previousKeys`; each payload names the id of the key that sealed it.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DecryptionError, open, seal } from './aes-gcm';
import type { SecretKey } from './secret-key';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const ASSOCIATED_DATA = 'tally:payload:v1';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined): string | undefined =>
  b ? Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8') : undefined;

export function isEncryptedPayload(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  readonly #current: SecretKey;
  readonly #byId: Map<string, SecretKey>;

  constructor(key: SecretKey, previousKeys: readonly SecretKey[] = []) {
    this.#current = key;
    this.#byId = new Map([...previousKeys, key].map((k) => [k.id, k]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (isEncryptedPayload(payload)) return payload;
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.#current.id) },
        data: seal(this.#current, plain, ASSOCIATED_DATA),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncryptedPayload(payload)) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      const key = keyId === undefined ? this.#current : this.#byId.get(keyId);
      if (!key) {
        throw new DecryptionError(
          `payload was encrypted with key id ${keyId}, but this process has key id(s) ${[...this.#byId.keys()].join(', ')}: ` +
            'is TALLY_SECRET_KEY the same for every Tally process?',
        );
      }
      const plain = open(key, payload.data ?? new Uint8Array(), ASSOCIATED_DATA);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

export function createPayloadCodec(key: SecretKey, options: { previousKeys?: readonly SecretKey[] } = {}): PayloadCodec {
  return new EncryptionCodec(key, options.previousKeys);
}
