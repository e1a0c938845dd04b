import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** `MB_SYNC_NO_CACHE=1` (any value but 0) turns every cache off. */
export function cachesOff(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.MB_SYNC_NO_CACHE) && env.MB_SYNC_NO_CACHE !== '0';
}

/**
 * mb-sync's per-machine cache folder (embedded Postgres's empty cluster): `$XDG_CACHE_HOME/mb-sync`,
 * a relative XDG_CACHE_HOME ignored as the XDG spec asks, else `~/.cache/mb-sync`. Undefined when
 * caches are off or there is no home (a uid without a passwd entry and no HOME: homedir() throws).
 * bin/mb-sync.js, which runs before this code is loaded, works its code cache out the same way.
 */
export function machineCacheDir(env: NodeJS.ProcessEnv, home: () => string = homedir): string | undefined {
  if (cachesOff(env)) return undefined;
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'mb-sync');
  try {
    return join(home(), '.cache', 'mb-sync');
  } catch {
    return undefined;
  }
}
