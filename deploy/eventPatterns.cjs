// EventBridge patterns computed from stage parameters at package time, so an empty cluster list
// means "every cluster" instead of an invalid empty match list.
const splitList = (value) =>
  String(value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const clusterMatchers = (names) =>
  names.map((name) => (name.startsWith('arn:') ? name : { suffix: `:cluster/${name}` }));

module.exports = async ({ resolveVariable }) => {
  const clusters = splitList(await resolveVariable('param:clusters'));
  const detail = clusters.length ? { clusterArn: clusterMatchers(clusters) } : undefined;
  return {
    taskStateChange: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      ...(detail && { detail }),
    },
  };
};
