// The factory: an account's type picks its source. Adding Datadog is one case here and one file.
import { accountsFromEnvironment, DEPLOY_ACCOUNTS_HINT, type Account } from '../config/accounts.ts';
import { splitAccountNames } from '../config/account-names.ts';
import { BadRequestError } from '../errors.ts';
import { CloudWatchSource } from './cloudwatch.ts';
import { PrometheusSource } from './prometheus.ts';
import type { RetryPolicy } from './retry.ts';
import { metricLimits, type MetricLimits, type MetricSource } from './source.ts';

export interface SourceOptions {
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** Caps on one answer (the accounts file's `limits`); defaults in source.ts. */
  limits?: Partial<MetricLimits>;
}

export interface AccountsOptions extends SourceOptions {
  /** How to configure accounts where none are, for messages (e.g. "set CANARIA_ACCOUNTS when deploying"). */
  howToConfigure?: string;
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
  private readonly options: AccountsOptions;

  constructor(accounts: readonly Account[], options: AccountsOptions = {}) {
    this.accounts = accounts;
    this.options = options;
  }

  /** The caps of every answer and analysis, defaults filled in. */
  get limits(): MetricLimits {
    return metricLimits(this.options.limits);
  }

  /** "prom (prometheus), cw (cloudwatch)" for messages; "none" without accounts. */
  describe(): string {
    if (this.accounts.length === 0) return `none${this.options.howToConfigure ? ` (${this.options.howToConfigure})` : ''}`;
    return this.accounts.map((a) => `${a.name} (${a.type})`).join(', ');
  }

  /** The accounts a request names, each configured; at most one per query type. */
  private named(names: string | undefined): Account[] {
    const named = splitAccountNames(names).map((name) => {
      const account = this.accounts.find((a) => a.name === name);
      if (!account) throw new BadRequestError(`Unable to resolve account ${name}. Configured accounts: ${this.describe()}.`);
      return account;
    });
    for (const a of named) {
      const same = named.filter((b) => b.type === a.type && b.name !== a.name);
      if (same.length > 0) {
        throw new BadRequestError(`metricsAccountName names more than one ${a.type} account (${[a, ...same].map((b) => b.name).join(', ')}); name at most one per type.`);
      }
    }
    return named;
  }

  /**
   * Checks the names a request gives against the query types it runs: every name configured,
   * at most one per type, and none of a type no query needs (Kayenta's one-account-per-run
   * error when a single name cannot run the config's queries).
   */
  check(names: string | undefined, queryTypes: Iterable<string>): void {
    const types = new Set(queryTypes);
    for (const a of this.named(names)) {
      if (!types.has(a.type)) {
        throw new BadRequestError(`Account ${a.name} is a ${a.type} account; it cannot run a ${[...types].join(' or ')} query.`);
      }
    }
    for (const type of types) this.resolve(names, type);
  }

  /**
   * The account for a query: the one of its type among those the request names (one name,
   * or several separated by commas: one per type), else the first configured account of that
   * type, as Kayenta takes the first account of the needed type when none is named.
   */
  resolve(names: string | undefined, queryType: string): { account: Account; source: MetricSource } {
    const account = this.named(names).find((a) => a.type === queryType) ?? this.accounts.find((a) => a.type === queryType);
    if (!account) throw new BadRequestError(`No ${queryType} metrics account is configured. Configured accounts: ${this.describe()}.`);
    let source = this.sources.get(account.name);
    if (!source) this.sources.set(account.name, (source = createMetricSource(account, this.options)));
    return { account, source };
  }
}

/** A deployed function's accounts and limits, from CANARIA_ACCOUNTS. */
export function deployedAccounts(env: NodeJS.ProcessEnv = process.env): MetricAccounts {
  const file = accountsFromEnvironment(env);
  return new MetricAccounts(file.accounts, { howToConfigure: DEPLOY_ACCOUNTS_HINT, limits: file.limits });
}
