/**
 * Secrets are configured by reference ({ env } or { file }) and resolved only when a connection is made.
 * Errors name where the secret should be, never what it is.
 */
import { readFileSync } from 'node:fs';
import type { SecretRef } from '../schema/config';
import { ConnectorError } from './connector-errors';

export function resolveSecret(ref: SecretRef): string {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') {
      throw new ConnectorError('configuration', `secret environment variable ${ref.env} is not set`);
    }
    return value;
  }
  let content: string;
  try {
    content = readFileSync(ref.file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConnectorError('configuration', `cannot read secret file ${ref.file} (${code})`);
  }
  // Files written by editors and `echo` end with a newline that is not part of the secret.
  const value = content.replace(/\r?\n$/, '');
  if (value === '') throw new ConnectorError('configuration', `secret file ${ref.file} is empty`);
  return value;
}

/** Replaces every occurrence of the given secrets in a message: a last guard for messages built from native errors. */
export function redact(message: string, secrets: readonly (string | undefined)[]): string {
  let out = message;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}
