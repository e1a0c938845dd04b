import type { ScheduleT } from '../model/common.ts';

const QUARTZ_DAY = { mon: 'MON', tue: 'TUE', wed: 'WED', thu: 'THU', fri: 'FRI', sat: 'SAT', sun: 'SUN' } as const;

/** A schedule as the 7-field Quartz cron that notifications take (read in the report timezone). */
export function toQuartzCron(schedule: ScheduleT): string {
  const minute = schedule.minute ?? 0;
  const hour = schedule.hour ?? 8;
  switch (schedule.every) {
    case 'hour':
      return `0 ${minute} * * * ? *`;
    case 'day':
      return `0 ${minute} ${hour} * * ? *`;
    case 'week':
      return `0 ${minute} ${hour} ? * ${QUARTZ_DAY[schedule.day ?? 'mon']} *`;
    case 'month': {
      const day = schedule.frame === 'last' ? 'L' : schedule.frame === 'mid' ? '15' : '1';
      return `0 ${minute} ${hour} ${day} * ? *`;
    }
  }
}

/** A schedule as pulse channel fields (dashboard subscriptions). */
export function toPulseSchedule(schedule: ScheduleT): Record<string, unknown> {
  const hour = schedule.hour ?? 8;
  switch (schedule.every) {
    case 'hour':
      return { schedule_type: 'hourly', schedule_hour: null, schedule_day: null, schedule_frame: null };
    case 'day':
      return { schedule_type: 'daily', schedule_hour: hour, schedule_day: null, schedule_frame: null };
    case 'week':
      return { schedule_type: 'weekly', schedule_hour: hour, schedule_day: schedule.day ?? 'mon', schedule_frame: null };
    case 'month':
      return { schedule_type: 'monthly', schedule_hour: hour, schedule_day: null, schedule_frame: schedule.frame ?? 'first' };
  }
}
