import { expandRecipients } from '../core/recipients.ts';
import { ref, resolveRefs, type Ref } from '../core/refs.ts';
import { toQuartzCron } from '../core/schedule.ts';
import { mapLimit } from '../core/map-limit.ts';
import { guardEmail } from './email-guard.ts';
import type { ApplyContext, ResourceHandler } from './types.ts';

type Recipient = { group: Ref } | { email: string };
interface AlertBody {
  card: Ref;
  send_condition: 'has_result';
  send_once: boolean;
  cron: string;
  active: boolean;
  recipients: Recipient[];
}
type LiveNotification = Record<string, unknown> & {
  id: number;
  active: boolean;
  payload: Record<string, unknown> & { id?: number; card_id: number };
  subscriptions: Array<Record<string, unknown> & { id: number }>;
  handlers: Array<Record<string, unknown> & { id: number; channel_type: string; recipients: Array<Record<string, unknown> & { id: number }> }>;
};

/**
 * E-mail alerts on a card (`/api/notification`, 0.54+), sent when the card returns rows
 * (`has_result`): the alert cards are written to return rows only when the condition holds.
 * Identity: the (first) notification on the alert's card.
 */
export const alertHandler: ResourceHandler<AlertBody, LiveNotification> = {
  kind: 'alert',
  readAfter: ['card', 'group'],
  desired: (project) =>
    project.config.alerts.map((alert) => ({
      key: alert.key,
      body: {
        card: ref('card', alert.card),
        send_condition: 'has_result',
        send_once: alert.send_once,
        cron: toQuartzCron(alert.schedule),
        active: true,
        recipients: expandRecipients(alert.to, project.config).map((r) => ('group' in r ? { group: ref('group', r.group) } : r)),
      },
    })),
  async read(ctx) {
    const alerts = ctx.project.config.alerts.filter((a) => ctx.refs.has('card', a.card));
    const found = await mapLimit(alerts, 4, async (alert) => {
      const list = await ctx.api.get<LiveNotification[]>('/api/notification', {
        params: { payload_type: 'notification/card', card_id: ctx.refs.id('card', alert.card) as number, include_inactive: true },
      });
      const live = [...list].sort((a, b) => a.id - b.id)[0];
      return live ? [{ key: alert.key, id: live.id, raw: live, managed: true }] : [];
    });
    return found.flat();
  },
  normalize(live, refs) {
    const n = live.raw;
    const handler = n.handlers.find((h) => h.channel_type === 'channel/email');
    return {
      card: refs.toRef('card', n.payload.card_id)!,
      send_condition: (n.payload.send_condition as 'has_result') ?? 'has_result',
      send_once: Boolean(n.payload.send_once),
      cron: String(n.subscriptions[0]?.cron_schedule ?? ''),
      active: n.active,
      recipients: sortRecipients((handler?.recipients ?? []).map((r): Recipient => (
        r.type === 'notification-recipient/group'
          ? { group: refs.toRef('group', r.permissions_group_id as number)! }
          : { email: String((r.details as { value?: string } | undefined)?.value ?? r.user_id ?? '').toLowerCase() }
      ))),
    };
  },
  async create(desired, ctx) {
    guardEmail(ctx, `alert.${desired.key}`);
    const created = await ctx.api.post<{ id: number }>('/api/notification', requestBody(desired.body, ctx));
    return created.id;
  },
  async update(desired, live, ctx) {
    guardEmail(ctx, `alert.${desired.key}`);
    // PUT diffs against the stored row: every existing id goes back, or the child is re-created.
    const body = requestBody(desired.body, ctx, live.raw);
    await ctx.api.put(`/api/notification/${live.id}`, { ...body, id: live.id });
  },
  async archive(live, ctx) {
    await ctx.api.put(`/api/notification/${live.id}`, { ...live.raw, active: false });
  },
};

function requestBody(body: AlertBody, ctx: ApplyContext, live?: LiveNotification): Record<string, unknown> {
  const resolved = resolveRefs(body, ctx.refs) as unknown as Omit<AlertBody, 'card' | 'recipients'> & { card: number; recipients: Array<{ group: number } | { email: string }> };
  const liveHandler = live?.handlers.find((h) => h.channel_type === 'channel/email');
  const recipients = resolved.recipients.map((r) => {
    const wanted = 'group' in r
      ? { type: 'notification-recipient/group', permissions_group_id: r.group }
      : { type: 'notification-recipient/raw-value', details: { value: r.email } };
    const same = liveHandler?.recipients.find((x) => x.type === wanted.type && ('group' in r ? x.permissions_group_id === r.group : (x.details as { value?: string } | undefined)?.value === r.email));
    return same ? { ...wanted, id: same.id } : wanted;
  });
  return {
    payload_type: 'notification/card',
    payload: { ...(live?.payload.id === undefined ? {} : { id: live.payload.id }), card_id: resolved.card, send_condition: resolved.send_condition, send_once: resolved.send_once },
    subscriptions: [{ ...(live?.subscriptions[0] ? { id: live.subscriptions[0].id } : {}), type: 'notification-subscription/cron', cron_schedule: resolved.cron, ui_display_type: 'cron/builder' }],
    handlers: [{ ...(liveHandler ? { id: liveHandler.id } : {}), channel_type: 'channel/email', recipients }],
    active: resolved.active,
  };
}

function sortRecipients(recipients: Recipient[]): Recipient[] {
  return [...recipients].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
