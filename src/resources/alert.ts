import { expandRecipients } from '../core/recipients.ts';
import { compareText } from '../core/compare-text.ts';
import { ref, resolveRefs, type Ref } from '../core/refs.ts';
import { toQuartzCron } from '../core/schedule.ts';
import { mapLimit } from '../core/map-limit.ts';
import { guardEmail } from './email-guard.ts';
import { readMarker, withMarker } from '../core/card-marker.ts';
import { Shapes } from '../metabase/shapes.ts';
import { createOnce } from './create-once.ts';
import { runState, type ApplyContext, type LiveObject, type ResourceHandler } from './types.ts';

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
 * Identity: the alert's own key, recorded with its notification id in the marker of the card it
 * watches (src/core/card-marker.ts), so two alerts on one card are two alerts, and an alert removed
 * from the files is found again to be archived. A notification on a managed card that is not
 * recorded is someone's own, unless it is exactly what an unrecorded alert asks for (made before the
 * record, or a create whose answer was lost): then it is adopted.
 */
export const alertHandler: ResourceHandler<AlertBody, LiveNotification> = {
  kind: 'alert',
  dependsOn: ['card', 'group'],
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
    const project = ctx.project.config.project;
    // Cards to look at: those with recorded alerts, and those the files' alerts watch.
    const cards = new Map<number, Record<string, number>>();
    for (const card of ctx.live.get('card') ?? []) {
      const marker = readMarker((card.raw as { visualization_settings?: unknown }).visualization_settings);
      if (card.duplicateOf === undefined && marker?.project === project && marker.alerts) cards.set(card.id as number, marker.alerts);
    }
    for (const alert of ctx.project.config.alerts) {
      const id = ctx.refs.id('card', alert.card) as number | undefined;
      if (id !== undefined && !cards.has(id)) cards.set(id, {});
    }
    const lists = await mapLimit([...cards.keys()], ctx.api.concurrency, async (cardId) => ({
      cardId,
      list: await ctx.api.get<LiveNotification[]>('/api/notification', { params: { payload_type: 'notification/card', card_id: cardId, include_inactive: true }, schema: Shapes.notifications }),
    }));
    const out: LiveObject<LiveNotification>[] = [];
    const recordedIds = new Set([...cards.values()].flatMap((r) => Object.values(r)));
    for (const { cardId, list } of lists) {
      for (const [key, id] of Object.entries(cards.get(cardId) ?? {})) {
        const live = list.find((n) => n.id === id);
        if (live) out.push({ key, id, raw: live, managed: true, archived: live.active === false, facts: { recorded: true } });
      }
    }
    // Adoption: an alert of the files with no recorded notification takes an identical unrecorded one.
    const found = new Set(out.map((o) => o.key));
    const desired = [...this.desired(ctx.project)];
    for (const alert of desired.filter((d) => !found.has(d.key))) {
      const cardId = ctx.refs.id('card', ctx.project.config.alerts.find((a) => a.key === alert.key)!.card);
      const candidates = lists.find((l) => l.cardId === cardId)?.list.filter((n) => n.active && !recordedIds.has(n.id)).sort((a, b) => a.id - b.id) ?? [];
      const same = candidates.find((n) => JSON.stringify(this.normalize({ key: alert.key, id: n.id, raw: n, managed: true }, ctx.refs)) === JSON.stringify(alert.body));
      if (same) {
        recordedIds.add(same.id);
        out.push({ key: alert.key, id: same.id, raw: same, managed: true, facts: { recorded: false } });
      }
    }
    return out;
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
    const body = requestBody(desired.body, ctx);
    const cardId = (body.payload as { card_id: number }).card_id;
    // The answer was lost: an identical notification on the card that nobody recorded is this one.
    const { id } = await createOnce(
      () => ctx.api.post<{ id: number }>('/api/notification', body, { schema: Shapes.item }),
      async () => {
        const recorded = new Set(Object.values(readMarker((await ctx.api.get<{ visualization_settings?: unknown }>(`/api/card/${cardId}`, { schema: Shapes.card })).visualization_settings)?.alerts ?? {}));
        const list = await ctx.api.get<LiveNotification[]>('/api/notification', { params: { payload_type: 'notification/card', card_id: cardId, include_inactive: true }, schema: Shapes.notifications });
        return list.filter((n) => !recorded.has(n.id)).find((n) => JSON.stringify(this.normalize({ key: desired.key, id: n.id, raw: n, managed: true }, ctx.refs)) === JSON.stringify(desired.body));
      },
      { unmarked: true },
    );
    await recordAlert(ctx, (body.payload as { card_id: number }).card_id, desired.key, id);
    return id;
  },
  async update(desired, live, ctx) {
    guardEmail(ctx, `alert.${desired.key}`);
    // PUT diffs against the stored row: every existing id goes back, or the child is re-created.
    const body = requestBody(desired.body, ctx, live.raw);
    await ctx.api.put(`/api/notification/${live.id}`, { ...body, id: live.id });
    if ((live.facts as { recorded?: boolean } | undefined)?.recorded !== true) await recordAlert(ctx, (body.payload as { card_id: number }).card_id, desired.key, live.id as number);
  },
  async archive(live, ctx) {
    await ctx.api.put(`/api/notification/${live.id}`, { ...live.raw, active: false });
  },
};

/** Card id → the last registry write on it: alerts of one card are recorded one after the other. */

/** Records alert key → notification id in the marker of the card it watches (read fresh, then written). */
async function recordAlert(ctx: ApplyContext, cardId: number, key: string, notificationId: number): Promise<void> {
  const chains = runState(ctx, 'alert.registry-writes', () => new Map<number, Promise<void>>());
  const write = (chains.get(cardId) ?? Promise.resolve()).then(async () => {
    const card = await ctx.api.get<{ entity_id: string; visualization_settings?: Record<string, unknown> | null }>(`/api/card/${cardId}`, { schema: Shapes.card });
    const marker = readMarker(card.visualization_settings);
    if (!marker) return;
    await ctx.api.put(`/api/card/${cardId}`, { visualization_settings: withMarker(card.visualization_settings ?? {}, { ...marker, alerts: { ...marker.alerts, [key]: notificationId } }) });
  });
  chains.set(cardId, write.catch(() => {}));
  await write;
}

function requestBody(body: AlertBody, ctx: ApplyContext, live?: LiveNotification): Record<string, unknown> {
  const resolved = resolveRefs(body, ctx.refs);
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
  return [...recipients].sort((a, b) => compareText(JSON.stringify(a), JSON.stringify(b)));
}
