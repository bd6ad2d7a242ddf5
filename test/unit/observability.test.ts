import { Metrics } from '@aws-lambda-powertools/metrics';
import { publishCount } from '../../src/observability';

describe('publishCount', () => {
  it('prints one EMF line per count, with its own dimensions, that does not leak into the next', () => {
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const metrics = new Metrics({ namespace: 'EcsAutopilot', serviceName: 'ecs-autopilot' });
      publishCount(metrics, 'StoppedTasks', { classification: 'failed', family: 'etl' });
      publishCount(metrics, 'TaskDecisions', { decision: 'restart', family: 'web' });
    } finally {
      write.mockRestore();
    }
    const emf = lines.map((line) => JSON.parse(line));
    expect(emf).toHaveLength(2);
    expect(emf[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'EcsAutopilot',
            Dimensions: [['service', 'classification', 'family']],
            Metrics: [{ Name: 'StoppedTasks', Unit: 'Count' }],
          },
        ],
      },
      service: 'ecs-autopilot',
      classification: 'failed',
      family: 'etl',
      StoppedTasks: 1,
    });
    expect(emf[1]).toMatchObject({ decision: 'restart', family: 'web', TaskDecisions: 1 });
    expect(emf[1]).not.toHaveProperty('classification');
    expect(emf[1]).not.toHaveProperty('StoppedTasks');
  });
});
