// Loads sandbox-worker.ts in a worker thread when mb-sync runs from its sources (tests,
// development): a worker does not inherit tsx from the thread that starts it.
import { register } from 'tsx/esm/api';

register();
await import('./sandbox-worker.ts');
