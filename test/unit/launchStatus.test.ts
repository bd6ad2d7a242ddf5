import { launchStatus, type RecordedAttempt } from '../../src/domain/launchOutcome';

const A = 'arn:aws:ecs:us-east-1:111122223333:task/batch/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'arn:aws:ecs:us-east-1:111122223333:task/batch/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const capacity = [{ reason: 'RESOURCE:MEMORY' }];
const attempt = (a: Partial<RecordedAttempt>): RecordedAttempt => ({
  status: 'launched',
  taskArns: [],
  requeued: false,
  at: '2025-03-01T10:00:00.000Z',
  ...a,
});

describe('what a launch came to', () => {
  it('is PENDING before any attempt is recorded (queued while ECS throttles it)', () => {
    expect(launchStatus([])).toEqual({ status: 'PENDING', taskArns: [], attempts: 0 });
  });

  it('is PENDING while capacity retries are queued, with the tasks started so far', () => {
    expect(
      launchStatus([attempt({ taskArns: [A], failures: capacity, requeued: true, status: 'launched' })]),
    ).toMatchObject({ status: 'PENDING', taskArns: [A], failures: capacity, attempts: 1 });
  });

  it('is LAUNCHED once the last attempt started the rest, with every task of every attempt', () => {
    const status = launchStatus([
      attempt({ taskArns: [A], failures: capacity, requeued: true }),
      attempt({ taskArns: [B], at: '2025-03-01T10:05:00.000Z' }),
    ]);
    expect(status).toEqual({
      status: 'LAUNCHED',
      taskArns: [A, B],
      failures: capacity,
      attempts: 2,
      updatedAt: '2025-03-01T10:05:00.000Z',
    });
  });

  it('is FAILED, with the reasons, when the launcher gave up', () => {
    const refused = [{ reason: 'MISSING', arn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/x:1' }];
    expect(
      launchStatus([
        attempt({ requeued: true, failures: capacity }),
        attempt({ status: 'failed', failures: refused }),
      ]),
    ).toMatchObject({ status: 'FAILED', taskArns: [], failures: refused, attempts: 2 });
  });
});
