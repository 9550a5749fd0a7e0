// The factory: an account's type picks its source. Adding Datadog is one case here and one file.
import type { Account } from '../config/accounts.ts';
import { BadRequestError } from '../errors.ts';
import { CloudWatchSource } from './cloudwatch.ts';
import { PrometheusSource } from './prometheus.ts';
import type { RetryPolicy } from './retry.ts';
import type { MetricSource } from './source.ts';

export interface SourceOptions {
  retry?: RetryPolicy;
  timeoutMs?: number;
}

export function createMetricSource(account: Account, options: SourceOptions = {}): MetricSource {
  switch (account.type) {
    case 'prometheus':
      return new PrometheusSource(account, options);
    case 'cloudwatch':
      return new CloudWatchSource(account, options);
  }
}

/** The configured metric accounts, each with its source (created once). */
export class MetricAccounts {
  readonly accounts: readonly Account[];
  private readonly sources = new Map<string, MetricSource>();
  private readonly options: SourceOptions;

  constructor(accounts: readonly Account[], options: SourceOptions = {}) {
    this.accounts = accounts;
    this.options = options;
  }

  /**
   * The account a request names, or else the first account of the query's type (Kayenta
   * takes the first account of the needed type when none is named).
   */
  resolve(name: string | undefined, queryType: string): { account: Account; source: MetricSource } {
    let account: Account | undefined;
    if (name) {
      account = this.accounts.find((a) => a.name === name);
      if (!account) throw new BadRequestError(`Unable to resolve account ${name}.`);
      if (account.type !== queryType) {
        throw new BadRequestError(`Account ${name} is a ${account.type} account; it cannot run a ${queryType} query.`);
      }
    } else {
      account = this.accounts.find((a) => a.type === queryType);
      if (!account) throw new BadRequestError(`No ${queryType} metrics account is configured.`);
    }
    let source = this.sources.get(account.name);
    if (!source) this.sources.set(account.name, (source = createMetricSource(account, this.options)));
    return { account, source };
  }
}
