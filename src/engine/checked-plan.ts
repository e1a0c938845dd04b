import type { Plan } from '../core/plan.ts';
import { sqlLayout } from '../postgres/sql-files.ts';
import { viewsDigest, type EarlySandbox } from './early-sql-check.ts';
import { makePlan, versionRefusalFirst, type PlanInput, type PlanningState } from './make-plan.ts';
import { assertChangedSqlCompiles, prepareNativeSqlCheck } from './validate-offline.ts';

interface CheckedPlanOptions<R> {
  bootSql?: boolean;
  early?: EarlySandbox;
  /** Run on the fresh plan before its SQL compiles: a saved plan still valid (src/engine/saved-plan.ts). */
  verify?: (state: PlanningState) => void;
  /** What the caller prints of the plan, made while its SQL compiles. */
  render?: (plan: Plan) => R;
}

/**
 * The plan as `plan` and `apply` make it: the native SQL check prepared first (with `bootSql`,
 * embedded Postgres boots while the plan reads Metabase), `verify` run on the plan (a saved plan
 * still valid), then the SQL the plan would send compiled. The sandbox is closed however it ends.
 *
 * `render` is given the plan once its SQL has started compiling: on a cold apply the main thread
 * would otherwise sit idle until embedded Postgres is done, then render. Its result comes back with
 * the plan, for the caller to print: only once the SQL compiled (a refused plan prints nothing).
 */
export async function makeCheckedPlan<R = undefined>(input: PlanInput, options: CheckedPlanOptions<R> = {}): Promise<PlanningState & { rendered: R }> {
  try {
    return await checkedPlan(input, options);
  } catch (error) {
    // Also for what fails outside makePlan: the views folder, the SQL check.
    throw await versionRefusalFirst(input.server, error);
  }
}

async function checkedPlan<R>(input: PlanInput, options: CheckedPlanOptions<R>): Promise<PlanningState & { rendered: R }> {
  // The SQL folder is read first: one without views is refused before the plan reads anything. Then
  // the plan's reads go out, and the check is prepared (its cache read, the SQL of every native
  // card sampled and hashed) while they are on the network.
  const { project } = input;
  let views: string;
  try {
    views = await viewsDigest(sqlLayout(project.root, project.config.postgres), project.config.postgres.timezone);
  } catch (error) {
    await options.early?.runner.close();
    throw error;
  }
  const planning = makePlan(input);
  const checking = prepareNativeSqlCheck(project, { boot: Boolean(options.bootSql), views, ...(options.early ? { early: options.early } : {}) });
  // Each is awaited below; a failure of one while the other runs must not go unhandled.
  planning.catch(() => {});
  checking.catch(() => {});
  try {
    const state = await planning;
    options.verify?.(state);
    // The compile starts (embedded Postgres boots, if it was not already) before the caller renders.
    const compiled = assertChangedSqlCompiles(project, state.plan, await checking);
    compiled.catch(() => {});
    let rendered: R;
    try {
      rendered = options.render ? options.render(state.plan) : (undefined as R);
    } catch (error) {
      // A refusal of the SQL is the one to report; the caller's own failure comes after it.
      await compiled;
      throw error;
    }
    await compiled;
    return { ...state, rendered };
  } finally {
    await checking.then((check) => check.close(), () => {});
  }
}
