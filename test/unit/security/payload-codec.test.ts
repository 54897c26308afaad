import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  decodeArrayFromPayloads,
  encodeToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { createPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../../src/security/payload-codec';
import { DecryptionError, deriveSecretKey, encryptSecret } from '../../../src/security/secret-box';

const key = deriveSecretKey('payload test key');
const otherKey = deriveSecretKey('some other key');
const input = { user: 'jack', password: 'black-pearl-42', attributes: { cn: ['Jack Sparrow'] } };

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

describe('encrypting payload codec', () => {
  it('round-trips values through a DataConverter with the codec, leaving no plaintext in the payload', async () => {
    const converter = loadDataConverter({ payloadCodecs: [createPayloadCodec(key)] });
    const payloads = (await encodeToPayloads(converter, input, 'second argument'))!;
    expect(payloads).toHaveLength(2);
    for (const p of payloads) {
      expect(text(p.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(p.metadata?.[KEY_ID_METADATA])).toBe(key.id);
      expect(Buffer.from(p.data!).includes('black-pearl-42')).toBe(false);
      expect(Buffer.from(p.data!).includes('json/plain')).toBe(false);
      expect(Buffer.from(p.data!).includes('jack')).toBe(false);
    }
    expect(await decodeArrayFromPayloads(converter, payloads)).toEqual([input, 'second argument']);
  });

  it('restores the original payload, metadata included', async () => {
    const codec = createPayloadCodec(key);
    const original = defaultPayloadConverter.toPayload(input);
    const [decoded] = await codec.decode(await codec.encode([original]));
    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(input);
  });

  it('fails to decode a tampered payload', async () => {
    const codec = createPayloadCodec(key);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
    const data = Buffer.from(encrypted.data!);
    data[20] ^= 0xff;
    await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow(DecryptionError);
  });

  it('fails to decode with a wrong key, naming the key ids', async () => {
    const [encrypted] = await createPayloadCodec(otherKey).encode([defaultPayloadConverter.toPayload(input)]);
    await expect(createPayloadCodec(key).decode([encrypted])).rejects.toThrow(
      new RegExp(`key id ${otherKey.id}.*TALLY_SECRET_KEY`),
    );
    // Without the key id the cipher itself refuses.
    const { [KEY_ID_METADATA]: _dropped, ...metadata } = encrypted.metadata!;
    await expect(createPayloadCodec(key).decode([{ ...encrypted, metadata }])).rejects.toThrow(DecryptionError);
  });

  it('decodes payloads encrypted with a previous key after rotation', async () => {
    const [old] = await createPayloadCodec(otherKey).encode([defaultPayloadConverter.toPayload(input)]);
    const rotated = createPayloadCodec(key, { previousKeys: [otherKey] });
    const [decoded] = await rotated.decode([old]);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(input);
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(input)]);
    expect(text(fresh.metadata?.[KEY_ID_METADATA])).toBe(key.id);
  });

  it('passes payloads that are not encrypted through unchanged (histories from before encryption)', async () => {
    const codec = createPayloadCodec(key);
    const plain: Payload = defaultPayloadConverter.toPayload(input);
    const nothing: Payload = defaultPayloadConverter.toPayload(undefined);
    const decoded = await codec.decode([plain, nothing]);
    expect(decoded[0]).toBe(plain);
    expect(decoded[1]).toBe(nothing);
    expect(defaultPayloadConverter.fromPayload(decoded[0])).toEqual(input);
  });

  it('does not encrypt twice', async () => {
    const codec = createPayloadCodec(key);
    const once = await codec.encode([defaultPayloadConverter.toPayload(input)]);
    const twice = await codec.encode(once);
    expect(twice[0]).toBe(once[0]);
  });

  it('does not accept a stored secret as a payload (different associated data)', async () => {
    const secret = Buffer.from(encryptSecret('x', key).slice('enc:v1:'.length), 'base64');
    const forged: Payload = {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(key.id) },
      data: secret,
    };
    await expect(createPayloadCodec(key).decode([forged])).rejects.toThrow(DecryptionError);
  });
});
