import { expandRecipients } from '../core/recipients.ts';
import { ref, resolveRefs, type Ref } from '../core/refs.ts';
import { toPulseSchedule } from '../core/schedule.ts';
import { mapLimit } from '../core/map-limit.ts';
import { guardEmail } from './email-guard.ts';
import { PULSE_MARKER, readPulseMarker } from '../core/pulse-marker.ts';
import { Shapes } from '../metabase/shapes.ts';
import { createOnce } from './create-once.ts';
import type { ApplyContext, DesiredObject, ResourceHandler } from './types.ts';

interface SubscriptionBody {
  dashboard: Ref;
  cards: Array<{ card: Ref; dashcard: Ref; include_csv: boolean }>;
  schedule: Record<string, unknown>;
  /** E-mail addresses; `group:` recipients are expanded to their members by prepare(). */
  recipients: string[];
  skip_if_empty: boolean;
  parameters: Array<{ id: string; value: unknown }>;
}
type LivePulse = Record<string, unknown> & { id: number; name: string; dashboard_id: number; cards: Array<Record<string, unknown>>; channels: Array<Record<string, unknown>> };

/**
 * Dashboard subscriptions (`/api/pulse`). Metabase renames every subscription of a dashboard to the
 * dashboard's name after each dashboard update (update-dashboard-subscription-pulses!,
 * pulse/dashboard_subscription.clj), so a name is no identity: each managed subscription carries a
 * marker in its e-mail channel's `details` (an open map the server stores as sent). Subscriptions
 * without it (people subscribing themselves in the UI) are never touched.
 */
export const subscriptionHandler: ResourceHandler<SubscriptionBody, LivePulse> = {
  kind: 'subscription',
  dependsOn: ['dashboard', 'group'],
  // The dashboards are waited for inside read(), after the list is asked for.
  readAfter: ['group'],
  desired(project) {
    return project.dashboards.flatMap(({ dashboard, origin }) =>
      dashboard.subscriptions.map((s, i) => {
        const seen = new Map<string, number>();
        const cards = dashboard.cards.flatMap((placed) => {
          const key = 'key' in placed ? placed.key : 'card' in placed ? placed.card : undefined;
          if (key === undefined) return [];
          const count = (seen.get(key) ?? 0) + 1;
          seen.set(key, count);
          return [{ card: ref('card', key), dashcard: ref('dashcard', `${dashboard.key}/${key}${count > 1 ? `#${count}` : ''}`), include_csv: s.attach_csv }];
        });
        return {
          key: `${dashboard.key}/${s.key}`,
          body: {
            dashboard: ref('dashboard', dashboard.key),
            cards,
            schedule: toPulseSchedule(s.schedule),
            recipients: expandRecipients(s.to, project.config).map((r) => ('email' in r ? r.email : `group:${r.group}`)),
            skip_if_empty: s.skip_if_empty,
            parameters: Object.entries(s.filters ?? {}).map(([id, value]) => ({ id, value })),
          },
          origin: { file: origin.file, path: `subscriptions[${i}]` },
        };
      }),
    );
  },
  async prepare(desired, ctx) {
    // Pulses address users one by one: a group becomes its members' e-mail addresses.
    const groups = [...new Set(desired.flatMap((d) => d.body.recipients.filter((r) => r.startsWith('group:')).map((r) => r.slice(6))))];
    const members = new Map<string, string[]>();
    await mapLimit(groups, ctx.api.concurrency, async (key) => {
      const id = ctx.refs.id('group', key);
      if (id === undefined) return members.set(key, []);
      const group = await ctx.api.get<{ members?: Array<{ user_id: number; email: string }> }>(`/api/permissions/group/${id}`, { schema: Shapes.group });
      for (const m of group.members ?? []) ctx.refs.set('user', m.email.toLowerCase(), m.user_id);
      return members.set(key, (group.members ?? []).map((m) => m.email.toLowerCase()));
    });
    return desired.map((d) => ({
      ...d,
      body: { ...d.body, recipients: [...new Set(d.body.recipients.flatMap((r) => (r.startsWith('group:') ? members.get(r.slice(6)) ?? [] : [r])))].sort() },
    }));
  },
  async read(ctx) {
    // One list of every active subscription, whatever the number of dashboards; ours carry the marker
    // and sit on a managed dashboard. Those whose key left the files are listed for archiving.
    const project = ctx.project.config.project;
    const list = () => ctx.api.get<LivePulse[]>('/api/pulse', { schema: Shapes.pulses });
    // A project with dashboards asks for the list at once, not one round trip after the last
    // dashboard is read (the end of every plan); one without asks only if managed ones are live.
    const early = ctx.project.dashboards.length > 0 ? list() : undefined;
    early?.catch(() => {}); // awaited below, or not needed
    await ctx.after('dashboard');
    const dashboards = new Set(ctx.refs.names('dashboard').map((key) => ctx.refs.id('dashboard', key)));
    if (dashboards.size === 0) return [];
    const pulses = await (early ?? list());
    const ours = pulses.map((pulse) => ({ pulse, marker: readPulseMarker(pulse) })).filter((p) => p.marker?.project === project && dashboards.has(p.pulse.dashboard_id)).sort((a, b) => a.pulse.id - b.pulse.id);
    const seen = new Set<string>();
    return ours.map(({ pulse, marker }) => {
      // Several pulses with one key (a create whose answer was lost, made again, and the first one
      // landing after all; or two runs at once): the oldest counts, and the later ones, which only
      // mb-sync marks (a person cannot copy a subscription), are archived as duplicates.
      const first = !seen.has(marker!.key);
      seen.add(marker!.key);
      return first ? { key: marker!.key, id: pulse.id, raw: pulse, managed: true } : { key: `${marker!.key}~${pulse.id}`, id: pulse.id, raw: pulse, managed: true, duplicateOf: marker!.key };
    });
  },
  normalize(live, refs) {
    const pulse = live.raw;
    const channel = (pulse.channels.find((c) => c.channel_type === 'email') ?? {}) as Record<string, unknown>;
    const recipients = ((channel.recipients ?? []) as Array<{ id?: number; email?: string }>).map((r) => (r.email ?? '').toLowerCase());
    return {
      dashboard: refs.toRef('dashboard', pulse.dashboard_id)!,
      cards: pulse.cards.map((c) => ({ card: refs.toRef('card', c.id as number)!, dashcard: refs.toRef('dashcard', c.dashboard_card_id as number)!, include_csv: Boolean(c.include_csv) })),
      schedule: { schedule_type: channel.schedule_type, schedule_hour: channel.schedule_hour ?? null, schedule_day: channel.schedule_day ?? null, schedule_frame: channel.schedule_frame ?? null },
      recipients: [...new Set(recipients)].sort(),
      skip_if_empty: Boolean(pulse.skip_if_empty),
      parameters: ((pulse.parameters ?? []) as Array<{ id: string; value: unknown }>).map((p) => ({ id: p.id, value: p.value })),
    };
  },
  async create(desired, ctx) {
    guardEmail(ctx, `subscription.${desired.key}`);
    const body = requestBody(desired, ctx);
    // Looked up by its marker when the answer was lost, and created again only if it is not there.
    return (await createOnce(
      () => ctx.api.post<{ id: number }>('/api/pulse', body, { schema: Shapes.item }),
      async () => (await ctx.api.get<LivePulse[]>('/api/pulse', { params: { dashboard_id: body.dashboard_id as number }, schema: Shapes.pulses }))
        .find((p) => readPulseMarker(p)?.key === desired.key && readPulseMarker(p)?.project === ctx.project.config.project),
    )).id;
  },
  async update(desired, live, ctx) {
    guardEmail(ctx, `subscription.${desired.key}`);
    // PUT gives omitted keys their defaults (archived: false…): always send the whole object.
    await ctx.api.put(`/api/pulse/${live.id}`, { ...requestBody(desired, ctx), archived: false });
  },
  async archive(live, ctx) {
    await ctx.api.put(`/api/pulse/${live.id}`, { ...live.raw, archived: true });
  },
};

function requestBody(desired: DesiredObject<SubscriptionBody>, ctx: ApplyContext): Record<string, unknown> {
  const resolved = resolveRefs(desired.body, ctx.refs);
  const recipients = resolved.recipients.map((email) => {
    const user = ctx.refs.id('user', email);
    return user === undefined ? { email } : { id: user, email };
  });
  const dashboard = ctx.project.dashboards.find((d) => ctx.refs.id('dashboard', d.dashboard.key) === resolved.dashboard)?.dashboard;
  return {
    // Metabase sets it to the dashboard's name anyway (see above).
    name: dashboard?.name ?? desired.key,
    dashboard_id: resolved.dashboard,
    cards: resolved.cards.map((c) => ({ id: c.card, dashboard_card_id: c.dashcard, include_csv: c.include_csv, include_xls: false })),
    channels: [{ channel_type: 'email', enabled: true, ...resolved.schedule, recipients, details: { [PULSE_MARKER]: { project: ctx.project.config.project, key: desired.key } } }],
    skip_if_empty: resolved.skip_if_empty,
    parameters: resolved.parameters.map((p) => {
      const filter = dashboard?.filters.find((f) => f.key === p.id);
      return { id: p.id, slug: p.id, type: filter?.type, name: filter?.name, value: p.value };
    }),
  };
}
