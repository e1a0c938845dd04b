import { describe, expect, it } from 'vitest';
import { cachesOff, machineCacheDir } from '../../../src/config/cache-home.ts';

describe("mb-sync's per-machine cache folder", () => {
  const home = () => '/home/ana';

  it('is under an absolute XDG_CACHE_HOME, else under ~/.cache; a relative XDG_CACHE_HOME is ignored', () => {
    expect(machineCacheDir({ XDG_CACHE_HOME: '/var/cache/ci' }, home)).toBe('/var/cache/ci/mb-sync');
    expect(machineCacheDir({}, home)).toBe('/home/ana/.cache/mb-sync');
    expect(machineCacheDir({ XDG_CACHE_HOME: 'cache' }, home)).toBe('/home/ana/.cache/mb-sync');
  });

  it('is none with MB_SYNC_NO_CACHE, or when there is no home (homedir() throws for a uid without one)', () => {
    expect(machineCacheDir({ MB_SYNC_NO_CACHE: '1' }, home)).toBeUndefined();
    expect(machineCacheDir({}, () => { throw Object.assign(new Error('uv_os_homedir returned ENOENT'), { code: 'ERR_SYSTEM_ERROR' }); })).toBeUndefined();
    expect(cachesOff({ MB_SYNC_NO_CACHE: '0' })).toBe(false);
    expect(cachesOff({ MB_SYNC_NO_CACHE: 'yes' })).toBe(true);
  });
});
