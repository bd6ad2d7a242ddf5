import { type BudgetSettings, breakerKey } from '../../domain/budgets';
import type { LaunchBudgets } from '../../ports';

/** A family's restart circuit breaker as the API shows it: open until when, and its count in the window. */
export function buildBreakerView(deps: {
  budgets: Pick<LaunchBudgets, 'state'>;
  rule: BudgetSettings['breaker'];
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  return async (family: string) => {
    const state = await deps.budgets.state(breakerKey(family), deps.rule.windowMinutes);
    const open = state.openUntil !== undefined && Date.parse(state.openUntil) > now();
    return {
      family,
      state: open ? ('OPEN' as const) : ('CLOSED' as const),
      ...(open && { openUntil: state.openUntil }),
      relaunchesThatFailedAgain: state.used,
      limit: deps.rule.relaunches,
      windowMinutes: deps.rule.windowMinutes,
      cooldownMinutes: deps.rule.cooldownMinutes,
    };
  };
}
