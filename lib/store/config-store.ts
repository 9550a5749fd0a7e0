// Canary configs: the document in the object store (S3), a summary record for listing without
// reading every object, and one record per (application, name) that keeps names unique per
// application. Each change is one transaction where the storage has them (SQLite, embedded);
// elsewhere writes are ordered so that a failure leaves at most a summary without its object.
import { randomUUID } from 'node:crypto';
import type { CanaryConfig } from '../config/canary-config.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { atomically, type ObjectStore, type RecordStore, type Storage, type StoredRecord } from './ports.ts';

export interface ConfigSummary {
  id: string;
  name: string;
  updatedTimestamp: number;
  updatedTimestampIso: string;
  applications: string[];
}

/** One of: the config itself, its id, or its name (within an application). */
export interface ConfigRef {
  canaryConfig?: CanaryConfig;
  canaryConfigId?: string;
  canaryConfigName?: string;
  application?: string;
}

const SUMMARY_PK = 'canaryConfig';
const NAME_PK = 'canaryConfigName';
const objectKey = (id: string) => `canary_config/${id}.json`;
const nameKey = (application: string, name: string) => ({ pk: NAME_PK, sk: JSON.stringify([application, name]) });

export class ConfigStore {
  private readonly objects: ObjectStore;
  private readonly records: RecordStore;
  private readonly now: () => number;
  private readonly atomically: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(storage: Storage, now: () => number = Date.now) {
    this.objects = storage.objects;
    this.records = storage.records;
    this.now = now;
    this.atomically = atomically(storage);
  }

  /** Stores a new config (already validated); returns its id. */
  create(input: CanaryConfig): Promise<string> {
    return this.atomically(() => this.#create(input));
  }

  /** Replaces a stored config; Kayenta answers 400 for an unknown id. */
  replace(id: string, input: CanaryConfig): Promise<void> {
    return this.atomically(() => this.#replace(id, input));
  }

  delete(id: string): Promise<void> {
    return this.atomically(() => this.#delete(id));
  }

  async #create(input: CanaryConfig): Promise<string> {
    const id = input.id ?? randomUUID();
    const now = this.now();
    const config = withTimestamps({ ...input, id }, input.createdTimestamp ?? now, input.updatedTimestamp ?? now);
    if (!(await this.records.put(summaryRecord(config), { kind: 'absent' }))) {
      throw new BadRequestError(`Canary config '${id}' already exists.`);
    }
    try {
      await this.reserveNames(config, []);
      await this.objects.putJson(objectKey(id), config);
    } catch (err) {
      await this.releaseNames(id, namePairs(config));
      await this.records.delete({ pk: SUMMARY_PK, sk: id });
      throw err;
    }
    return id;
  }

  async #replace(id: string, input: CanaryConfig): Promise<void> {
    const existing = await this.records.get({ pk: SUMMARY_PK, sk: id });
    if (!existing) throw new BadRequestError(`Canary config '${id}' does not exist.`);
    const created = (existing.createdTimestamp as number | undefined) ?? this.now();
    const config = withTimestamps({ ...input, id }, input.createdTimestamp ?? created, this.now());
    const before = namePairs({ name: existing.name as string, applications: existing.applications as string[] });
    const beforeKeys = new Set(before.map((p) => JSON.stringify(p)));
    const after = namePairs(config);
    const afterKeys = new Set(after.map((p) => JSON.stringify(p)));
    await this.reserveNames(config, before);
    try {
      await this.objects.putJson(objectKey(id), config);
    } catch (err) {
      await this.releaseNames(id, after.filter((p) => !beforeKeys.has(JSON.stringify(p))));
      throw err;
    }
    await this.records.put(summaryRecord(config));
    await this.releaseNames(id, before.filter((p) => !afterKeys.has(JSON.stringify(p))));
  }

  async get(id: string): Promise<CanaryConfig> {
    const config = await this.objects.getJson<CanaryConfig>(objectKey(id));
    if (!config) throw new NotFoundError(`Canary config '${id}' was not found.`);
    return config;
  }

  /**
   * The config a request means: given inline, by id, or by name within an application (the
   * first match, as Argo Rollouts looks one up). Inline configs have the id 'ad-hoc'.
   */
  async find(ref: ConfigRef): Promise<{ config: CanaryConfig; id: string }> {
    if (ref.canaryConfig) return { config: ref.canaryConfig, id: 'ad-hoc' };
    if (ref.canaryConfigId) return { config: await this.get(ref.canaryConfigId), id: ref.canaryConfigId };
    const match = (await this.list(ref.application ? [ref.application] : [])).find((c) => c.name === ref.canaryConfigName);
    if (!match) {
      throw new NotFoundError(`No canary config named '${ref.canaryConfigName}'${ref.application ? ` in application '${ref.application}'` : ''}.`);
    }
    return { config: await this.get(match.id), id: match.id };
  }

  async #delete(id: string): Promise<void> {
    const existing = await this.records.get({ pk: SUMMARY_PK, sk: id });
    if (!existing) throw new NotFoundError(`Canary config '${id}' was not found.`);
    await this.objects.delete(objectKey(id));
    await this.records.delete({ pk: SUMMARY_PK, sk: id });
    await this.releaseNames(id, namePairs({ name: existing.name as string, applications: existing.applications as string[] }));
  }

  /**
   * Removes what an interrupted write of a store without transactions left behind: summaries
   * whose config cannot be read, and name claims of configs that do not exist. Returns the ids
   * of the summaries removed.
   */
  async repair(): Promise<string[]> {
    const removed: string[] = [];
    const ids = new Set<string>();
    for (const summary of await this.records.queryPartition(SUMMARY_PK)) {
      if (await this.objects.getJson(objectKey(summary.sk)).catch(() => undefined)) {
        ids.add(summary.sk);
        continue;
      }
      await this.records.delete({ pk: SUMMARY_PK, sk: summary.sk });
      await this.objects.delete(objectKey(summary.sk));
      removed.push(summary.sk);
    }
    for (const claim of await this.records.queryPartition(NAME_PK)) {
      if (!ids.has(String(claim.configId))) await this.records.delete(claim);
    }
    return removed;
  }

  /** Summaries of the configs sharing an application with `applications` (all when empty), by name. */
  async list(applications: string[] = []): Promise<ConfigSummary[]> {
    const wanted = new Set(applications);
    const records = await this.records.queryPartition(SUMMARY_PK);
    return records
      .map(toSummary)
      .filter((s) => wanted.size === 0 || s.applications.some((a) => wanted.has(a)))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  /** Claims (application, name) for the config, besides the pairs it already holds. */
  private async reserveNames(config: CanaryConfig & { id: string }, held: Array<[string, string]>): Promise<void> {
    const heldKeys = new Set(held.map((p) => JSON.stringify(p)));
    const claimed: Array<[string, string]> = [];
    for (const pair of namePairs(config)) {
      if (heldKeys.has(JSON.stringify(pair))) continue;
      const [application, name] = pair;
      const ok = await this.records.put(
        { ...nameKey(application, name), configId: config.id },
        { kind: 'absentOrEquals', attribute: 'configId', value: config.id },
      );
      if (!ok) {
        await this.releaseNames(config.id, claimed);
        const owner = await this.records.get(nameKey(application, name));
        throw new BadRequestError(
          `A canary config named '${name}' already exists in application '${application}'${owner ? ` (id '${String(owner.configId)}')` : ''}.`,
        );
      }
      claimed.push(pair);
    }
  }

  private async releaseNames(id: string, pairs: Array<[string, string]>): Promise<void> {
    for (const [application, name] of pairs) {
      await this.records.delete(nameKey(application, name), { kind: 'equals', attribute: 'configId', value: id });
    }
  }
}

function withTimestamps<T extends CanaryConfig>(config: T, created: number, updated: number): T & { id: string } {
  return {
    ...config,
    createdTimestamp: created,
    updatedTimestamp: updated,
    createdTimestampIso: new Date(created).toISOString(),
    updatedTimestampIso: new Date(updated).toISOString(),
  } as T & { id: string };
}

function namePairs(config: { name?: string; applications?: string[] }): Array<[string, string]> {
  return [...new Set(config.applications ?? [])].map((a) => [a, config.name ?? '']);
}

function summaryRecord(config: CanaryConfig & { id: string }): StoredRecord {
  return {
    pk: SUMMARY_PK,
    sk: config.id,
    name: config.name ?? '',
    applications: config.applications ?? [],
    createdTimestamp: config.createdTimestamp,
    updatedTimestamp: config.updatedTimestamp,
  };
}

function toSummary(r: StoredRecord): ConfigSummary {
  const updated = r.updatedTimestamp as number;
  return {
    id: r.sk,
    name: r.name as string,
    updatedTimestamp: updated,
    updatedTimestampIso: new Date(updated).toISOString(),
    applications: r.applications as string[],
  };
}
