/** What every group of operations works with. */
import type { ServiceScheduler } from './scheduler';
import type { EcsState } from './state';
import type { TaskEngine } from './tasks';
import type { Throttler } from './throttle';
import type { Input } from './util';

export interface EcsContext {
  state: EcsState;
  engine: TaskEngine;
  scheduler: ServiceScheduler;
  throttler: Throttler;
}

export type Operation = (input: Input) => unknown;
