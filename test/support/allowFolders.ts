import { PathPolicy } from '../../engine/studio/pathPolicy.ts';

/** A path policy for tests whose models and images live in temporary or reference folders; the first is the output folder. */
export function allowFolders(...folders: string[]): PathPolicy {
  return new PathPolicy(async () => ({ models: folders, output: folders[0] }));
}
