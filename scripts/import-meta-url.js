// Injected into the CommonJS bundle by scripts/build.mjs, where import.meta.url is replaced by this
// name: the bundle file's own URL, as import.meta.url is the module's in the sources.
/* global __filename -- the bundle is CommonJS, where each module has one */
import { pathToFileURL } from 'node:url';

export const __mbSyncImportMetaUrl = pathToFileURL(__filename).href;
