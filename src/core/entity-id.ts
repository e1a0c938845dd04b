import { createHash } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const PREFIX_LENGTH = 6;

function encode(hash: Buffer, length: number): string {
  return Array.from({ length }, (_, i) => ALPHABET[hash[i]! % 64]).join('');
}

/**
 * A 21-character NanoID derived from (project, kind, key): the same card gets the same entity_id on
 * every instance and every run, so mb-sync finds its cards again without a state file. The first
 * characters depend on the project alone, which tells mb-sync's cards from hand-made ones.
 */
export function entityIdFor(project: string, kind: string, key: string): string {
  const prefix = encode(createHash('sha256').update(`mb-sync\u0000${project}`).digest(), PREFIX_LENGTH);
  const rest = encode(createHash('sha256').update(`mb-sync\u0000${project}\u0000${kind}\u0000${key}`).digest(), 21 - PREFIX_LENGTH);
  return prefix + rest;
}

export function isManagedEntityId(project: string, entityId: unknown): boolean {
  return typeof entityId === 'string' && entityId.length === 21 && entityId.startsWith(entityIdFor(project, '', '').slice(0, PREFIX_LENGTH));
}
