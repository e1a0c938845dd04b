import { HttpError, invalid, nonBlank, ok } from '../http.ts';
import { notFound, type Route, type ServerContext } from '../router.ts';
import { nextId, now, type FakeState, type Row } from '../state.ts';

const SCHEDULE_TYPES = ['hourly', 'daily', 'weekly', 'monthly'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const SEND_CONDITIONS = ['has_result', 'goal_above', 'goal_below'];
const RECIPIENT_TYPES = ['notification-recipient/user', 'notification-recipient/group', 'notification-recipient/raw-value'];

export function notificationRoutes(state: FakeState, ctx: ServerContext): Route[] {
  const pulse = (id: string): Row => {
    const p = state.pulses.get(Number(id));
    if (!p) throw notFound(ctx);
    return p;
  };
  const validatePulse = (body: Record<string, unknown>, creating: boolean) => {
    const errors: Record<string, string> = {};
    if (creating || body.name !== undefined) nonBlank(body, 'name', errors);
    if (creating || body.cards !== undefined) {
      if (!Array.isArray(body.cards) || body.cards.length === 0) errors.cards = 'value must be an array with at least one element.';
      else body.cards.forEach((c: Record<string, unknown>, i) => {
        if (typeof c.id !== 'number') errors[`cards.${i}.id`] = 'value must be an integer.';
        if (typeof c.include_csv !== 'boolean' || typeof c.include_xls !== 'boolean') errors[`cards.${i}`] = 'include_csv and include_xls must be booleans.';
      });
    }
    if (creating || body.channels !== undefined) {
      if (!Array.isArray(body.channels) || body.channels.length === 0) errors.channels = 'value must be an array with at least one element.';
      else body.channels.forEach((c: Record<string, unknown>, i) => {
        if (!['email', 'slack', 'http'].includes(c.channel_type as string)) errors[`channels.${i}.channel_type`] = 'value must be one of: email, slack, http.';
        if (!SCHEDULE_TYPES.includes(c.schedule_type as string)) errors[`channels.${i}.schedule_type`] = `value must be one of: ${SCHEDULE_TYPES.join(', ')}.`;
        if (c.schedule_type !== 'hourly' && !(Number.isInteger(c.schedule_hour) && (c.schedule_hour as number) >= 0 && (c.schedule_hour as number) <= 23)) errors[`channels.${i}.schedule_hour`] = 'value must be an integer between 0 and 23.';
        if (c.schedule_type === 'weekly' && !DAYS.includes(c.schedule_day as string)) errors[`channels.${i}.schedule_day`] = `value must be one of: ${DAYS.join(', ')}.`;
      });
    }
    if (Object.keys(errors).length) throw invalid(errors);
    // A channel without `enabled` trips a server assertion: a 500, not a 400 (metabase-api.md §7b).
    for (const c of (body.channels ?? []) as Array<Record<string, unknown>>) {
      if (typeof c.enabled !== 'boolean') throw new HttpError({ status: 500, json: { message: 'Assert failed: (boolean? enabled)', via: [{ message: 'Assert failed: (boolean? enabled)' }] } });
    }
  };
  const channels = (sent: Array<Record<string, unknown>>) => sent.map((c) => ({
    id: nextId(), channel_type: c.channel_type, enabled: c.enabled, schedule_type: c.schedule_type, schedule_hour: c.schedule_hour ?? null,
    schedule_day: c.schedule_day ?? null, schedule_frame: c.schedule_frame ?? null, details: c.details ?? {},
    recipients: ((c.recipients ?? []) as Array<Record<string, unknown>>).map((r) => (r.id !== undefined ? { ...state.users.find((u) => u.id === r.id), password: undefined, id: r.id } : { email: r.email })),
  }));

  const validateNotification = (body: Record<string, unknown>) => {
    const errors: Record<string, string> = {};
    if (body.payload_type !== 'notification/card' && body.payload_type !== 'notification/dashboard') errors.payload_type = 'value must be one of: notification/card, notification/dashboard.';
    const payload = (body.payload ?? {}) as Record<string, unknown>;
    if (body.payload_type === 'notification/card') {
      if (!state.cards.has(payload.card_id as number)) errors['payload.card_id'] = 'card does not exist.';
      if (payload.send_condition !== undefined && !SEND_CONDITIONS.includes(payload.send_condition as string)) errors['payload.send_condition'] = `value must be one of: ${SEND_CONDITIONS.join(', ')}.`;
    }
    ((body.subscriptions ?? []) as Array<Record<string, unknown>>).forEach((s, i) => {
      if (s.type !== 'notification-subscription/cron' || typeof s.cron_schedule !== 'string' || s.cron_schedule.trim().split(/\s+/).length < 6) errors[`subscriptions.${i}`] = 'a cron subscription needs a Quartz cron_schedule.';
    });
    ((body.handlers ?? []) as Array<Record<string, unknown>>).forEach((h, i) => {
      if (!['channel/email', 'channel/slack', 'channel/http'].includes(h.channel_type as string)) errors[`handlers.${i}.channel_type`] = 'value must be one of: channel/email, channel/slack, channel/http.';
      ((h.recipients ?? []) as Array<Record<string, unknown>>).forEach((r, j) => {
        if (!RECIPIENT_TYPES.includes(r.type as string)) errors[`handlers.${i}.recipients.${j}.type`] = `value must be one of: ${RECIPIENT_TYPES.join(', ')}.`;
      });
    });
    if (Object.keys(errors).length) throw invalid(errors);
  };
  /** Children sent with an existing id are kept; without one they are re-created under a new id. */
  const withIds = (sent: Array<Record<string, unknown>> | undefined, existing: Array<Record<string, unknown>>, extra: (item: Record<string, unknown>) => Record<string, unknown> = (x) => x) =>
    (sent ?? []).map((item) => {
      const kept = existing.find((e) => e.id === item.id);
      return extra({ ...item, id: kept ? kept.id : nextId() });
    });
  const handlersOf = (sent: unknown, existing: Array<Record<string, unknown>>) =>
    withIds(sent as Array<Record<string, unknown>>, existing, (h) => ({
      ...h,
      recipients: withIds(h.recipients as Array<Record<string, unknown>>, ((existing.find((e) => e.id === h.id)?.recipients ?? []) as Array<Record<string, unknown>>)),
    }));

  return [
    ['POST', /^\/api\/pulse$/, (req) => {
      validatePulse(req.body, true);
      const d = state.dashboards.get(req.body.dashboard_id as number);
      const row: Row = {
        id: nextId(), name: req.body.name, dashboard_id: req.body.dashboard_id ?? null, collection_id: d?.collection_id ?? null,
        cards: req.body.cards, channels: channels(req.body.channels as Array<Record<string, unknown>>), skip_if_empty: req.body.skip_if_empty ?? false,
        parameters: req.body.parameters ?? [], archived: false, creator_id: req.userId, created_at: now(),
      };
      state.pulses.set(row.id, row);
      return ok(row);
    }],
    ['GET', /^\/api\/pulse$/, (req) => {
      const dashboard = req.query.get('dashboard_id');
      const archived = req.query.get('archived') === 'true';
      return ok([...state.pulses.values()].filter((p) => (dashboard === null || p.dashboard_id === Number(dashboard)) && Boolean(p.archived) === archived));
    }],
    ['GET', /^\/api\/pulse\/(\d+)$/, (req) => ok(pulse(req.params[0]!))],
    ['PUT', /^\/api\/pulse\/(\d+)$/, (req) => {
      const p = pulse(req.params[0]!);
      validatePulse(req.body, false);
      if (req.body.name !== undefined) p.name = req.body.name;
      if (req.body.cards !== undefined) p.cards = req.body.cards;
      if (req.body.channels !== undefined) p.channels = channels(req.body.channels as Array<Record<string, unknown>>);
      if (req.body.parameters !== undefined) p.parameters = req.body.parameters;
      // Omitted keys get their defaults: archived and skip_if_empty fall back to false.
      p.archived = req.body.archived === true;
      p.skip_if_empty = req.body.skip_if_empty === true;
      return ok(p);
    }],
    ['POST', /^\/api\/notification$/, (req) => {
      validateNotification(req.body);
      const payload = { ...(req.body.payload as Record<string, unknown>), id: nextId(), send_condition: (req.body.payload as Record<string, unknown>).send_condition ?? 'has_result', send_once: (req.body.payload as Record<string, unknown>).send_once ?? false };
      const row: Row = {
        id: nextId(), payload_type: req.body.payload_type, payload_id: payload.id, payload, active: req.body.active ?? true, creator_id: req.userId,
        subscriptions: withIds(req.body.subscriptions as Array<Record<string, unknown>>, []), handlers: handlersOf(req.body.handlers, []), created_at: now(), updated_at: now(),
      };
      state.notifications.set(row.id, row);
      return ok(row);
    }],
    ['GET', /^\/api\/notification$/, (req) => {
      const card = req.query.get('card_id');
      const type = req.query.get('payload_type');
      const inactive = req.query.get('include_inactive') === 'true';
      return ok([...state.notifications.values()].filter((n) => (type === null || n.payload_type === type) && (card === null || (n.payload as Row).card_id === Number(card)) && (inactive || n.active === true)));
    }],
    ['GET', /^\/api\/notification\/(\d+)$/, (req) => {
      const n = state.notifications.get(Number(req.params[0]));
      if (!n) throw notFound(ctx);
      return ok(n);
    }],
    ['PUT', /^\/api\/notification\/(\d+)$/, (req) => {
      const n = state.notifications.get(Number(req.params[0]));
      if (!n) throw notFound(ctx);
      validateNotification({ ...req.body, payload_type: n.payload_type });
      const payload = { ...(n.payload as Row), ...(req.body.payload as Record<string, unknown>), id: (n.payload as Row).id };
      Object.assign(n, {
        payload,
        active: req.body.active ?? n.active,
        subscriptions: withIds(req.body.subscriptions as Array<Record<string, unknown>>, n.subscriptions as Row[]),
        handlers: handlersOf(req.body.handlers, n.handlers as Row[]),
        updated_at: now(),
      });
      return ok(n);
    }],
  ];
}
