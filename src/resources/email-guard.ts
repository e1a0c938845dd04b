import { MbSyncError } from '../core/errors.ts';
import type { ApplyContext } from './types.ts';

/**
 * Metabase accepts alerts and subscriptions without SMTP and then never sends them
 * (metabase-api.md §7): refuse, unless the config says e-mail is not required.
 */
export function guardEmail(ctx: ApplyContext, address: string): void {
  if (ctx.server.emailConfigured) return;
  if (ctx.project.config.require_email) {
    throw new MbSyncError('CONFIG_INVALID', `${address}: Metabase has no e-mail (SMTP) configured, so this would never be sent`, {
      hint: 'configure e-mail in Metabase (Admin → Settings → Email), or set require_email: false in the config to create it anyway',
    });
  }
  ctx.emit({ type: 'info', message: `warning: ${address} created, but Metabase has no e-mail configured: nothing will be sent until it has` });
}
