// Event patterns computed from stage parameters at package time (an empty cluster list means "every
// cluster", not an invalid empty match list). IAM, queue policies and alarms: deploy/guardrails.cjs.
const { splitList } = require('./lists.cjs');

const clusterMatchers = (names) =>
  names.map((name) => (name.startsWith('arn:') ? name : { suffix: `:cluster/${name}` }));

module.exports = async ({ resolveVariable }) => {
  const clusters = splitList(await resolveVariable('param:clusters'));
  const detail = clusters.length ? { clusterArn: clusterMatchers(clusters) } : undefined;
  const rebalance = String(await resolveVariable('param:spotRebalance')) === 'true';
  return {
    taskStateChange: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      ...(detail && { detail }),
    },
    // What taskReactions decides on: a task's final STOPPED state, or a Spot interruption (the warning
    // arrives while the task is still RUNNING). Mirrors needsReaction and isSpotInterruption in src/.
    taskStopOrInterruption: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        ...(detail && { clusterArn: detail.clusterArn }),
        $or: [
          { lastStatus: ['STOPPED'] },
          { stopCode: ['SpotInterruption', 'TerminationNotice'] },
          { stoppedReason: ['Your Spot Task was interrupted.'] },
        ],
      },
    },
    serviceAction: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Service Action'],
      detail: {
        eventName: ['SERVICE_TASK_PLACEMENT_FAILURE', 'SERVICE_STEADY_STATE'],
        ...(detail && { clusterArn: detail.clusterArn }),
      },
    },
    serviceTaskInterruption: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        group: [{ prefix: 'service:' }],
        stopCode: ['SpotInterruption', 'TerminationNotice'],
        ...(detail && { clusterArn: detail.clusterArn }),
      },
    },
    spotInstanceWarning: {
      source: ['aws.ec2'],
      'detail-type': [
        'EC2 Spot Instance Interruption Warning',
        ...(rebalance ? ['EC2 Instance Rebalance Recommendation'] : []),
      ],
    },
  };
};
