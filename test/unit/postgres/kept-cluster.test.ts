import { describe, expect, it } from 'vitest';
import { keptFiles } from '../../../src/postgres/pglite-runner.ts';

/** A ustar archive of these files, as PGlite's dumpDataDir writes one (a path over 100 bytes goes in the prefix field). */
function tar(files: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [path, text] of files) {
    const header = Buffer.alloc(512);
    const cut = path.length > 100 ? path.lastIndexOf('/', path.length - 1) : -1;
    header.write(cut > 0 ? path.slice(cut + 1) : path, 0, 'latin1');
    if (cut > 0) header.write(path.slice(0, cut), 345, 'latin1');
    header.write(`${text.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write('ustar\x0000', 257, 'latin1');
    const data = Buffer.alloc(Math.ceil(text.length / 512) * 512);
    data.write(text, 'latin1');
    parts.push(header, data);
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The names in an archive, read back the way tar does. */
function names(archive: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 512 <= archive.length;) {
    const header = archive.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, length: number) => header.subarray(from, from + length).toString('latin1').replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    out.push(prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`);
    at += 512 + Math.ceil(parseInt(field(124, 12), 8) / 512) * 512;
  }
  return out;
}

const deep = `/${'d'.repeat(120)}/pg_wal/000000010000000000000003`;
const cluster = tar([
  ['/PG_VERSION', '18\n'],
  ['/pg_wal/000000010000000000000001', 'x'.repeat(700)],
  ['/pg_wal/000000010000000000000002', 'y'.repeat(10)],
  ['/pg_wal/archive_status/000000010000000000000001.done', ''],
  [deep, 'z'],
  ['/base/5/1259', 'w'.repeat(1024)],
  ['/base/5/1259_fsm', 'f'],
  ['/base/5/1259_vm', 'v'],
  ['/base/5/2608_fsm.1', 'f'],
  ['/global/1262_fsm', 'f'],
  ['/global/1262', 'g'],
  ['/base/5/pg_filenode.map', 'm'],
]);

describe('the kept cluster without recycled WAL segments nor free space and visibility maps', () => {
  it('drops the segments not kept and the relations\' map forks, and keeps everything else', () => {
    const slimmed = keptFiles(cluster, new Set(['000000010000000000000002']));
    expect(names(slimmed)).toEqual(['/PG_VERSION', '/pg_wal/000000010000000000000002', '/pg_wal/archive_status/000000010000000000000001.done', '/base/5/1259', '/global/1262', '/base/5/pg_filenode.map']);
    // What is kept is kept whole: the data of the file after a dropped one is intact.
    expect(slimmed.includes(Buffer.from('w'.repeat(1024)))).toBe(true);
    expect(slimmed.subarray(-1024).every((b) => b === 0)).toBe(true);
  });

  it('reads a name split into the prefix field', () => {
    expect(names(keptFiles(cluster, new Set(['000000010000000000000003'])))).toContain(deep);
    expect(names(keptFiles(cluster, new Set(['000000010000000000000002'])))).not.toContain(deep);
  });

  it('keeps the archive as it is when it is told of no segment to keep (a cluster needs one)', () => {
    expect(keptFiles(cluster, new Set())).toBe(cluster);
  });
});
