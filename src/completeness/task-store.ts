import type { Task } from 'fhir/r4';
import type { Repository } from '../store/repository';

/** The stored Tasks among `ids` that `repo` may see, by id. */
export async function storedTasks(repo: Repository, ids: readonly string[]): Promise<Map<string, Task>> {
  const out = new Map<string, Task>();
  if (ids.length === 0) return out;
  await repo.flush('Task');
  for await (const doc of repo.find('Task', { _id: { $in: [...ids] } }, { projection: { r: 1 } })) out.set(doc._id, JSON.parse(doc.r) as Task);
  return out;
}
