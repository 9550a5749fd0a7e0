// Fetched MetricSet lists (Kayenta's METRIC_SET_LIST objects), kept in the object store.
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../errors.ts';
import type { MetricSet } from '../metrics/types.ts';
import type { ObjectStore } from './ports.ts';

const key = (id: string) => `metric_set_list/${id}.json`;
const ID = /^[A-Za-z0-9-]{1,64}$/;

export class MetricSetListStore {
  private readonly objects: ObjectStore;

  constructor(objects: ObjectStore) {
    this.objects = objects;
  }

  async put(list: MetricSet[]): Promise<string> {
    const id = randomUUID();
    await this.objects.putJson(key(id), list);
    return id;
  }

  /** As stored: NaN values are the string "NaN". */
  async get(id: string): Promise<unknown[]> {
    const list = ID.test(id) ? await this.objects.getJson<unknown[]>(key(id)) : undefined;
    if (!list) throw new NotFoundError(`Metric set list '${id}' was not found.`);
    return list;
  }
}
