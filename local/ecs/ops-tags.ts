/** TagResource, UntagResource, ListTagsForResource for tasks, services, clusters, task definitions, instances. */
import { AwsError } from '../core';
import type { EcsContext, Operation } from './context';
import type { Tags } from './model';
import type { EcsState } from './state';
import { arnResource, type Input, invalid, readTags, requiredStr, strList, tagList } from './util';

export function tagOperations(ctx: EcsContext): Record<string, Operation> {
  return {
    TagResource: (input) => {
      const tags = taggable(ctx.state, requiredStr(input, 'resourceArn'), true);
      Object.assign(tags, readTags(input));
      return {};
    },
    UntagResource: (input) => {
      const tags = taggable(ctx.state, requiredStr(input, 'resourceArn'), true);
      for (const key of strList(input, 'tagKeys') ?? []) delete tags[key];
      return {};
    },
    ListTagsForResource: (input: Input) => ({
      tags: tagList(taggable(ctx.state, requiredStr(input, 'resourceArn'))),
    }),
  };
}

/** The live tag record of the resource an ARN names (mutating it tags the resource). */
function taggable(state: EcsState, resourceArn: string, modifying = false): Tags {
  const resource = arnResource(resourceArn);
  if (!resource) throw invalid('The ARN provided is invalid.');
  const [type = '', ...path] = resource.split('/');
  const notFound = () =>
    new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
  switch (type) {
    case 'cluster': {
      const cluster = state.clusters.get(path[0] ?? '');
      if (!cluster) throw notFound();
      return cluster.tags;
    }
    case 'task': {
      const task = state.tasks.get(path[path.length - 1] ?? '');
      if (!task) throw notFound();
      if (modifying && task.lastStatus === 'STOPPED') {
        throw invalid('The specified task is stopped. Specify a running task and try again.');
      }
      return task.tags;
    }
    case 'service': {
      const service = state.services.get(path.join('/'));
      if (!service) throw notFound();
      return service.tags;
    }
    case 'task-definition': {
      const td = state.findTaskDefinition(resourceArn);
      if (!td) throw notFound();
      return td.tags;
    }
    case 'container-instance': {
      const instance = state.instances.get(path[path.length - 1] ?? '');
      if (!instance) throw notFound();
      return instance.tags;
    }
    case 'capacity-provider': {
      const provider = state.provider(path[0] ?? '');
      if (!provider) throw notFound();
      return provider.tags;
    }
    default:
      throw invalid('The ARN provided is invalid.');
  }
}
