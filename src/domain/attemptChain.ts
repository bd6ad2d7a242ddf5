import type { Attempt } from './launchRequest';

/** One step of a restart chain as the API shows it: what failed, what was decided, what replaced it. */
export interface ChainStep {
  taskArn: string;
  attempt: number;
  exitCode?: number;
  stopCode?: string;
  stoppedReason?: string;
  failureKind?: string;
  decision?: string;
  delaySeconds?: number;
  replacementTaskArns?: string[];
}

interface DecisionView {
  action: string;
  reason?: string;
  delaySeconds?: number;
  replacementTaskArns?: string[];
}

export interface ChainTask {
  taskArn: string;
  /** Its attempt number (0 for the origin), from its launch lineage. */
  attempt: number;
  /** Exit facts, once the task has stopped. */
  current?: { exitCode?: number; stopCode?: string; stoppedReason?: string; failureKind?: string };
  decision?: DecisionView;
}

const describeDecision = (d: DecisionView) => (d.reason ? `${d.action}: ${d.reason}` : d.action);

const step = (t: ChainTask): ChainStep => ({
  taskArn: t.taskArn,
  attempt: t.attempt,
  ...t.current,
  decision: t.decision && describeDecision(t.decision),
  delaySeconds: t.decision?.delaySeconds,
  replacementTaskArns: t.decision?.replacementTaskArns,
});

/**
 * The whole chain around one task: earlier attempts (carried in its launch lineage), the task itself,
 * then its replacements, found by following each decision's replacement forward.
 */
export function buildAttemptChain(input: {
  task: ChainTask;
  lineage?: { originTaskArn: string; chain: Attempt[] };
  forward: ChainTask[];
}): { originTaskArn: string; attempts: ChainStep[] } {
  const earlier = input.lineage?.chain ?? [];
  const steps: ChainStep[] = earlier.map((a, i) => ({
    ...a,
    replacementTaskArns: [earlier[i + 1]?.taskArn ?? input.task.taskArn],
  }));
  steps.push(step(input.task), ...input.forward.map(step));
  return { originTaskArn: input.lineage?.originTaskArn ?? input.task.taskArn, attempts: steps };
}
