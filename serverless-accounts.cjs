'use strict';
// A local osls plugin (serverless.yml: plugins: - ./serverless-accounts.cjs). Before
// `serverless package` or `deploy` (and `deploy function`) builds anything, it checks the
// CANARIA_ACCOUNTS text each function will get, with the project's own parser: an invalid
// accounts file or one too big for Lambda's environment fails the command; no accounts is
// a warning. The logic is lib/config/deploy-accounts.ts; this file only wires it in.
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const CHECK = path.join(__dirname, 'lib', 'config', 'deploy-accounts.ts');

class CanariaAccountsPlugin {
  constructor(serverless, _options, { log }) {
    this.serverless = serverless;
    this.log = log;
    const check = () => this.check();
    this.hooks = {
      'before:package:initialize': check,
      'before:deploy:function:initialize': check,
    };
  }

  async check() {
    const fail = (message) => new this.serverless.classes.Error(message, 'CANARIA_ACCOUNTS');
    // The check is TypeScript, loaded by Node's type stripping (Node 22.18+, on by default).
    if (!process.features.typescript) {
      throw fail(
        `Node.js ${process.version} cannot load ${path.relative(process.cwd(), CHECK)} (no TypeScript type stripping). ` +
          "Run osls through the project's Node 22: npm run package, or npx serverless ...",
      );
    }
    const { checkDeployAccounts } = await import(pathToFileURL(CHECK).href);
    const service = this.serverless.service;
    const environments = Object.fromEntries(
      service.getAllFunctions().map((name) => [
        name,
        { ...service.provider.environment, ...service.getFunction(name).environment },
      ]),
    );
    const { errors, warnings } = checkDeployAccounts(environments);
    for (const warning of warnings) this.log.warning(warning);
    if (errors.length > 0) {
      throw fail(
        `${errors.join('\n')}\n` +
          'CANARIA_ACCOUNTS is the text of an accounts file (YAML or JSON); see docs/deploy.md.',
      );
    }
  }
}

module.exports = CanariaAccountsPlugin;
