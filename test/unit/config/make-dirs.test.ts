import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirs } from '../../../src/config/make-dirs.ts';

describe('makeDirs (mkdir -p one level at a time)', () => {
  it('makes every missing level, and is content with what exists', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mb-sync-dirs-'));
    await makeDirs(join(root, 'a/b/c'));
    expect((await stat(join(root, 'a/b/c'))).isDirectory()).toBe(true);
    await makeDirs(join(root, 'a/b/c'));
    await writeFile(join(root, 'file'), '');
    await expect(makeDirs(join(root, 'file/sub'))).rejects.toThrow(/EEXIST|ENOTDIR/);
    await rm(root, { recursive: true });
  });

  // Node 20's mkdir({ recursive: true }) never returns there: a HOME of /proc/nonexistent hung the run.
  it.runIf(existsSync('/proc/self'))('gives up under /proc instead of looping', async () => {
    await expect(makeDirs('/proc/nonexistent/.cache/mb-sync')).rejects.toThrow();
  });
});
