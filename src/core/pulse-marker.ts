/**
 * The marker of a managed dashboard subscription, in its e-mail channel's `details` (an open map
 * Metabase stores as sent). Metabase renames every subscription of a dashboard after the dashboard
 * (pulse/dashboard_subscription.clj), so the marker, not the name, says which one is which.
 */
export const PULSE_MARKER = 'mb-sync';

export function readPulseMarker(pulse: { channels?: Array<Record<string, unknown>> }): { project: string; key: string } | undefined {
  for (const channel of pulse.channels ?? []) {
    const marker = (channel.details as Record<string, unknown> | undefined)?.[PULSE_MARKER] as { project?: unknown; key?: unknown } | undefined;
    if (typeof marker?.project === 'string' && typeof marker.key === 'string') return { project: marker.project, key: marker.key };
  }
  return undefined;
}
