import { join, relative, sep } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './package.ts';

// What each Lambda function can ask of AWS, derived from the code (no list kept by hand):
// starting from the function's handler export (and, for an HTTP function, only the route
// handlers of the routes API Gateway sends it), the analysis follows every function, method
// and constructor the code refers to, through lib/, with the TypeScript checker resolving each
// reference. Calls through an interface reach every class of the bundle that implements it.
// It collects:
//
// - `new XxxCommand(...)` of an AWS SDK client (the IAM action is the package's service prefix
//   and the command's name, with the few renames IAM has);
// - calls of the storage ports (lib/store/ports.ts): an ObjectStore call's key is evaluated to
//   a pattern (`executions/*/request.json`), a RecordStore call's partition key (`pk`) to its
//   value; the adapter class implementing the port (S3ObjectStore, DynamoRecordStore) gives
//   the commands, so each command gets the keys it is used with;
// - AWS calls made without a command object: fromTemporaryCredentials (STS AssumeRole),
//   SigV4-signed requests (Amazon Managed Service for Prometheus);
// - the CANARIA_* environment variables read.
//
// Anything it cannot follow (a dynamic import, a command object built elsewhere than in the
// send call, a port key it cannot evaluate) is an error, so a change cannot slip past it.

/** One thing a function asks of AWS: an IAM action on a resource of the stack's kinds. */
export interface Need {
  action: string;
  /**
   * 'bucket' (the bucket itself), 'bucket/<key pattern>', 'table:<pk>' (or 'table:<prefix>#*'), 'stateMachine',
   * 'standaloneStateMachine', 'standaloneExecution' (an execution of the standalone machine),
   * 'metricsRole', 'secret', 'parameter', 'apsWorkspace', 'secretsKey', '*' (no resource-level
   * permissions).
   */
  resource: string;
  /** file:line of the code that needs it. */
  where: string;
}

export interface FunctionCode {
  /** `functions/tasks/analysis.ts` */
  file: string;
  /** The export serving this function (`handler`, `plan`). */
  exportName: string;
  /** Route ids (lib/api/routes.ts) API Gateway sends to this function; undefined: not an HTTP function. */
  routes?: string[];
}

export interface Derived {
  needs: Need[];
  /** CANARIA_* variables read. */
  env: Set<string>;
  /** Source files reached, relative to the repository. */
  files: Set<string>;
  /** node_modules packages the handler file imports, directly or through lib/ (what esbuild bundles). */
  packages: Set<string>;
}

/** IAM service prefix of each AWS SDK package the code may use. */
const SERVICE_PREFIX: Record<string, string> = {
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-sfn': 'states',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sts': 'sts',
};

/** lib-dynamodb's document commands and the DynamoDB API (and IAM action) each one calls. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Put: 'PutItem',
  Get: 'GetItem',
  Delete: 'DeleteItem',
  Update: 'UpdateItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

/** API operations whose IAM action has another name. */
const IAM_RENAMES: Record<string, string[]> = {
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:ListObjects': ['s3:ListBucket'],
  's3:HeadObject': ['s3:GetObject'],
  's3:HeadBucket': ['s3:ListBucket'],
};

/** What a command needs besides its own action, by what its input holds. */
function commandNeeds(action: string, input: ts.Expression | undefined): string[] {
  const renamed = IAM_RENAMES[action] ?? [action];
  const props = input && ts.isObjectLiteralExpression(input) ? input.properties.map((p) => p.name?.getText() ?? '') : [];
  // PutObject with tags also needs s3:PutObjectTagging.
  if (action === 's3:PutObject' && props.includes('Tagging')) return [...renamed, 's3:PutObjectTagging'];
  if (action === 's3:GetObject' && props.includes('VersionId')) return ['s3:GetObjectVersion'];
  return renamed;
}

/** Resource kinds of the commands that are not storage-port calls. */
const COMMAND_RESOURCES: Record<string, string> = {
  'states:StartExecution': 'stateMachine',
  'states:StartSyncExecution': 'stateMachine',
  // GetMetricData has no resource-level permissions: AWS requires '*'.
  'cloudwatch:GetMetricData': '*',
  'secretsmanager:GetSecretValue': 'secret',
  'ssm:GetParameter': 'parameter',
};

/**
 * The same action on another resource kind, by the file whose code constructs the command: the
 * standalone runs' starter starts (and stops executions of) the standalone state machine, not the
 * canary one.
 */
const FILE_COMMAND_RESOURCES: Record<string, Record<string, string>> = {
  'lib/analysis/aws-standalone-starter.ts': { 'states:StartExecution': 'standaloneStateMachine', 'states:StopExecution': 'standaloneExecution' },
};

const PORTS_FILE = join(repoRoot, 'lib', 'store', 'ports.ts');
const PORTS = { ObjectStore: 'bucket', RecordStore: 'table' } as const;

class DeriveError extends Error {}

function where(node: ts.Node): string {
  const sf = node.getSourceFile();
  const { line } = sf.getLineAndCharacterOfPosition(node.getStart());
  return `${relative(repoRoot, sf.fileName)}:${line + 1}`;
}

function fail(node: ts.Node, message: string): never {
  throw new DeriveError(`${where(node)}: ${message}`);
}

const isOurs = (sf: ts.SourceFile) => !sf.isDeclarationFile && !sf.fileName.includes(`${sep}node_modules${sep}`) && sf.fileName.startsWith(repoRoot);

/** The npm package a declaration file belongs to (`@aws-sdk/client-s3`), if any. */
function packageOf(fileName: string): string | undefined {
  const i = fileName.lastIndexOf(`${sep}node_modules${sep}`);
  if (i < 0) return undefined;
  const parts = fileName.slice(i + 14).split(sep);
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

type FunctionLike = ts.FunctionLikeDeclaration;
const isFunctionLike = (n: ts.Node): n is FunctionLike =>
  ts.isFunctionDeclaration(n) ||
  ts.isFunctionExpression(n) ||
  ts.isArrowFunction(n) ||
  ts.isMethodDeclaration(n) ||
  ts.isConstructorDeclaration(n) ||
  ts.isGetAccessorDeclaration(n) ||
  ts.isSetAccessorDeclaration(n);

export class PermissionAnalysis {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  /** Every route id of lib/api/routes.ts. */
  private readonly routeIds: Set<string>;

  constructor(entryFiles: string[], routeIds: Iterable<string>) {
    const configPath = join(repoRoot, 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } });
    if (!config) throw new Error('cannot read tsconfig.json');
    this.program = ts.createProgram(entryFiles.map((f) => join(repoRoot, f)), config.options);
    this.checker = this.program.getTypeChecker();
    this.routeIds = new Set(routeIds);
  }

  private sourceFile(file: string): ts.SourceFile {
    const sf = this.program.getSourceFile(join(repoRoot, file));
    if (!sf) throw new Error(`${file} is not in the program`);
    return sf;
  }

  /**
   * What bundling a handler file takes in, module by module (esbuild's granularity): the
   * packages its imports name (those named only by import() apart), and the AWS SDK commands
   * its modules construct, by package.
   */
  bundleInputs(file: string): {
    packages: Set<string>;
    dynamicPackages: Set<string>;
    commands: Map<string, Set<string>>;
    /** `pkg name` of each command → the names of the top-level functions constructing it ('' for other code). */
    constructedIn: Map<string, Set<string>>;
  } {
    const { files, packages, dynamicPackages } = this.closure(this.sourceFile(file));
    const commands = new Map<string, Set<string>>();
    const constructedIn = new Map<string, Set<string>>();
    for (const sf of files) {
      const visit = (n: ts.Node, fn: string): void => {
        if (ts.isNewExpression(n)) {
          const found = this.packageSymbol(n.expression);
          if (found && found.pkg.startsWith('@aws-sdk/') && found.name.endsWith('Command')) {
            commands.set(found.pkg, new Set([...(commands.get(found.pkg) ?? []), found.name]));
            const k = `${found.pkg} ${found.name}`;
            constructedIn.set(k, new Set([...(constructedIn.get(k) ?? []), fn]));
          }
        }
        // A function declared at the top level: esbuild drops it when nothing uses it.
        const named = n.parent === sf && ts.isFunctionDeclaration(n) && n.name ? n.name.text : fn;
        ts.forEachChild(n, (c) => visit(c, named));
      };
      visit(sf, '');
    }
    return { packages, dynamicPackages, commands, constructedIn };
  }

  /** The files a module imports at run time (type-only imports left out), ours and packages. */
  private closure(entry: ts.SourceFile): { files: ts.SourceFile[]; packages: Set<string>; dynamicPackages: Set<string> } {
    const files: ts.SourceFile[] = [];
    const packages = new Set<string>();
    const dynamicPackages = new Set<string>();
    const seen = new Set<ts.SourceFile>();
    const visit = (sf: ts.SourceFile) => {
      if (seen.has(sf)) return;
      seen.add(sf);
      files.push(sf);
      for (const st of sf.statements) {
        let spec: ts.Expression | undefined;
        if (ts.isImportDeclaration(st)) {
          const clause = st.importClause;
          if (clause?.isTypeOnly) continue;
          // `import { type A, type B } from` only names types: elided at run time.
          const named = clause?.namedBindings;
          if (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)) continue;
          spec = st.moduleSpecifier;
        } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && !st.isTypeOnly) {
          spec = st.moduleSpecifier;
        }
        if (spec && ts.isStringLiteral(spec)) follow(sf, spec.text, packages);
      }
      // import('x'): esbuild bundles what it names like a static import.
      const dynamic = (n: ts.Node): void => {
        if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
          const arg = n.arguments[0];
          if (!arg || !ts.isStringLiteralLike(arg)) fail(n, 'import() of a computed name: the analysis cannot follow it');
          follow(sf, arg.text, dynamicPackages);
        }
        ts.forEachChild(n, dynamic);
      };
      dynamic(sf);
    };
    const follow = (sf: ts.SourceFile, name: string, into: Set<string>) => {
      const resolved = ts.resolveModuleName(name, sf.fileName, this.program.getCompilerOptions(), ts.sys).resolvedModule;
      const pkg = resolved ? packageOf(resolved.resolvedFileName) : undefined;
      if (!resolved || pkg || resolved.isExternalLibraryImport) {
        // node: builtins are not packages esbuild bundles.
        if (!name.startsWith('.') && !name.startsWith('node:')) into.add(pkg ?? (name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]));
        return;
      }
      const target = this.program.getSourceFile(resolved.resolvedFileName);
      if (target) visit(target);
    };
    visit(entry);
    return { files, packages, dynamicPackages };
  }

  derive(fn: FunctionCode): Derived {
    const entry = this.sourceFile(fn.file);
    const { files: closure, packages: staticPackages, dynamicPackages } = this.closure(entry);
    const packages = new Set([...staticPackages, ...dynamicPackages]);
    const inClosure = new Set(closure);
    const checker = this.checker;
    const needs: Need[] = [];
    const env = new Set<string>();
    const reachedFiles = new Set<string>();
    const queue: ts.Node[] = [];
    const queued = new Set<ts.Node>();
    const enqueue = (n: ts.Node) => {
      if (queued.has(n)) return;
      queued.add(n);
      queue.push(n);
    };
    const routes = fn.routes && new Set(fn.routes);

    // Classes of the bundle by the interfaces they implement.
    const implementers = new Map<ts.Symbol, ts.ClassLikeDeclaration[]>();
    for (const sf of closure) {
      const visitClasses = (n: ts.Node): void => {
        if (ts.isClassLike(n)) {
          for (const clause of n.heritageClauses ?? []) {
            if (clause.token !== ts.SyntaxKind.ImplementsKeyword) continue;
            for (const t of clause.types) {
              const sym = this.resolve(checker.getSymbolAtLocation(t.expression));
              if (sym) implementers.set(sym, [...(implementers.get(sym) ?? []), n]);
            }
          }
        }
        ts.forEachChild(n, visitClasses);
      };
      visitClasses(sf);
    }
    const implementationsOf = (member: ts.Declaration): ts.ClassElement[] => {
      const iface = member.parent;
      if (!ts.isInterfaceDeclaration(iface)) return [];
      const sym = this.resolve(checker.getSymbolAtLocation(iface.name));
      const name = ts.getNameOfDeclaration(member)?.getText();
      return (sym ? implementers.get(sym) ?? [] : []).flatMap((c) => c.members.filter((m) => m.name?.getText() === name));
    };

    /** The port (ObjectStore, RecordStore) a declaration is a method of. */
    const portOf = (decl: ts.Declaration): keyof typeof PORTS | undefined => {
      const iface = decl.parent;
      if (!iface || !ts.isInterfaceDeclaration(iface) || iface.getSourceFile().fileName !== PORTS_FILE) return undefined;
      return (Object.keys(PORTS) as (keyof typeof PORTS)[]).find((p) => p === iface.name.text);
    };

    /** A route handler object: every property named by a route id. */
    const isHandlersLiteral = (o: ts.ObjectLiteralExpression) =>
      o.properties.length > 0 && o.properties.every((p) => p.name !== undefined && this.routeIds.has(p.name.getText()));

    const handleDeclaration = (decl: ts.Declaration, site: ts.Node) => {
      const sf = decl.getSourceFile();
      if (!isOurs(sf)) return;
      if (portOf(decl)) {
        const call = site.parent?.parent;
        const isCallee = call && ts.isCallExpression(call) && call.expression === site.parent && ts.isPropertyAccessExpression(site.parent);
        if (!isCallee) fail(site, `a ${portOf(decl)} method used other than by calling it: its keys cannot be derived`);
        return; // the call is handled where it is scanned
      }
      if (isFunctionLike(decl) && decl.body) return enqueue(decl);
      // A field read: the functions assigned to it may now be called.
      if (ts.isPropertyDeclaration(decl) && !(decl.initializer && isFunctionLike(skipOuter(decl.initializer)))) {
        fieldsRead.add(decl);
        for (const v of fieldValues.get(decl) ?? []) enqueueValue(v, site);
        return;
      }
      if ((ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl) || ts.isPropertyAssignment(decl)) && decl.initializer) {
        const init = skipOuter(decl.initializer);
        if (isFunctionLike(init)) enqueue(init);
        // const task = wrap(async (...) => ...): the wrapped function runs when the variable is used.
        else if (ts.isVariableDeclaration(decl)) for (const f of wrappedFunctions(decl)) enqueue(f);
        return;
      }
      if ((ts.isMethodSignature(decl) || ts.isPropertySignature(decl)) && ts.isInterfaceDeclaration(decl.parent)) {
        for (const m of implementationsOf(decl)) handleDeclaration(m, site);
      }
    };

    // Functions stored in a field (`this.secrets = options.secrets ?? resolveSecret`) run only
    // if the field is read: they wait until then.
    const fieldValues = new Map<ts.Declaration, ts.Node[]>();
    const fieldsRead = new Set<ts.Declaration>();
    const enqueueValue = (v: ts.Node, site: ts.Node) => {
      if (isFunctionLike(v)) enqueue(v);
      else handleSymbol(checker.getSymbolAtLocation(v), site);
    };
    /** `this.field = value`: true when handled (the value's functions wait for a read of the field). */
    const assignToField = (n: ts.BinaryExpression): boolean => {
      if (n.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isPropertyAccessExpression(n.left) || n.left.expression.kind !== ts.SyntaxKind.ThisKeyword) return false;
      const field = this.resolve(checker.getSymbolAtLocation(n.left.name))?.declarations?.[0];
      if (!field || !ts.isPropertyDeclaration(field) || !isOurs(field.getSourceFile())) return false;
      const values: ts.Node[] = [];
      const rest: ts.Node[] = [];
      // The value's alternatives: a ?? b, a || b, c ? a : b.
      const split = (e: ts.Expression): void => {
        const x = skipOuter(e);
        if (ts.isBinaryExpression(x) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(x.operatorToken.kind)) {
          split(x.left);
          split(x.right);
        } else if (ts.isConditionalExpression(x)) {
          rest.push(x.condition);
          split(x.whenTrue);
          split(x.whenFalse);
        } else if (isFunctionLike(x)) values.push(x);
        else if (ts.isIdentifier(x) && functionValued(this.resolve(checker.getSymbolAtLocation(x)))) values.push(x);
        else rest.push(x);
      };
      split(n.right);
      fieldValues.set(field, [...(fieldValues.get(field) ?? []), ...values]);
      if (fieldsRead.has(field)) for (const v of values) enqueueValue(v, n);
      for (const r of rest) pending.push(r);
      return true;
    };
    const pending: ts.Node[] = [];

    const handleSymbol = (symbol: ts.Symbol | undefined, site: ts.Node) => {
      if (process.env.DBG2) console.log("sym", site.getText(), symbol?.flags, this.resolve(symbol)?.declarations?.map((d) => ts.SyntaxKind[d.kind] + " " + d.getSourceFile().fileName));
      const sym = this.resolve(symbol);
      for (const decl of sym?.declarations ?? []) handleDeclaration(decl, site);
    };

    /** What constructing a class of ours runs: its constructor, field initializers and base classes. */
    const construct = (cls: ts.ClassLikeDeclaration) => {
      for (const m of cls.members) {
        if (ts.isConstructorDeclaration(m) && m.body) enqueue(m);
        if (ts.isPropertyDeclaration(m) && m.initializer && !isStatic(m) && !isFunctionLike(skipOuter(m.initializer))) enqueue(m.initializer);
      }
      for (const clause of cls.heritageClauses ?? []) {
        if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
        for (const t of clause.types) {
          for (const d of this.resolve(checker.getSymbolAtLocation(t.expression))?.declarations ?? []) if (ts.isClassLike(d)) construct(d);
        }
      }
    };

    const sdkDeclaration = (expr: ts.Expression) => this.packageSymbol(expr);

    const onNew = (n: ts.NewExpression) => {
      const sdk = sdkDeclaration(n.expression);
      if (sdk && sdk.name.endsWith('Command') && sdk.pkg.startsWith('@aws-sdk/')) {
        const prefix = SERVICE_PREFIX[sdk.pkg];
        if (!prefix) fail(n, `${sdk.name} of ${sdk.pkg}: no IAM service prefix known for that package (add it to SERVICE_PREFIX)`);
        let op = sdk.name.slice(0, -'Command'.length);
        if (sdk.pkg === '@aws-sdk/lib-dynamodb') {
          if (!DOCUMENT_COMMANDS[op]) fail(n, `${sdk.name}: unknown DynamoDB document command`);
          op = DOCUMENT_COMMANDS[op];
        }
        for (const action of commandNeeds(`${prefix}:${op}`, n.arguments?.[0])) commands.push({ action, node: n });
        return;
      }
      if (sdk?.pkg === '@smithy/signature-v4' && sdk.name === 'SignatureV4') {
        // Requests signed for Amazon Managed Service for Prometheus: PrometheusSource reads
        // the Prometheus HTTP API (query_range), which AMP authorizes as aps:QueryMetrics.
        commands.push({ action: 'aps:QueryMetrics', node: n });
        return;
      }
      for (const d of this.resolve(checker.getSymbolAtLocation(n.expression))?.declarations ?? []) {
        if (ts.isClassLike(d) && isOurs(d.getSourceFile())) construct(d);
      }
    };

    const onCall = (n: ts.CallExpression) => {
      const sdk = sdkDeclaration(ts.isPropertyAccessExpression(n.expression) ? n.expression.name : n.expression);
      if (sdk?.pkg === '@aws-sdk/credential-providers') {
        if (sdk.name === 'fromTemporaryCredentials') commands.push({ action: 'sts:AssumeRole', node: n });
        else if (sdk.name !== 'fromNodeProviderChain') fail(n, `credential provider ${sdk.name}: which AWS calls it makes is not known here`);
        return;
      }
      // client.send(command): the command must be built right there, so it is seen above.
      if (ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'send') {
        const receiver = checker.getTypeAtLocation(n.expression.expression).getSymbol();
        const pkg = receiver?.declarations?.[0] && packageOf(receiver.declarations[0].getSourceFile().fileName);
        if (pkg?.startsWith('@aws-sdk/') && !(n.arguments[0] && ts.isNewExpression(n.arguments[0]))) {
          fail(n, 'an AWS SDK send() whose command is not constructed in the call: its action cannot be derived');
        }
      }
      if (ts.isPropertyAccessExpression(n.expression)) {
        const sym = this.resolve(checker.getSymbolAtLocation(n.expression.name));
        const decl = sym?.declarations?.[0];
        const port = decl && portOf(decl);
        if (process.env.DBG && decl) console.log("call", n.expression.getText(), decl.kind, decl.parent?.kind, decl.getSourceFile().fileName);
        if (port) portCalls.push({ port, method: n.expression.name.text, call: n, decl: decl! });
      }
    };

    const commands: { action: string; node: ts.Node }[] = [];
    const portCalls: { port: keyof typeof PORTS; method: string; call: ts.CallExpression; decl: ts.Declaration }[] = [];

    /** Scans code that runs: calls, references, constructions; nested named functions wait until referenced. */
    const scan = (root: ts.Node) => {
      reachedFiles.add(relative(repoRoot, root.getSourceFile().fileName));
      if (process.env.DBG) console.log("scan", where(root), ts.SyntaxKind[root.kind], root.getText().slice(0, 50).replace(/\n/g, " "));
      const visit = (n: ts.Node): void => {
        if (n !== root) {
          if (ts.isFunctionDeclaration(n)) return;
          // A class's members run when constructed or called; its static parts when defined.
          if (ts.isClassLike(n)) return scanStatics(n);
          if (isFunctionLike(n) && isDeferred(n)) return;
          if (ts.isObjectLiteralExpression(n) && routes && isHandlersLiteral(n)) {
            for (const p of n.properties) {
              if (!routes.has(p.name!.getText())) continue;
              if (ts.isPropertyAssignment(p)) visit(p.initializer);
              else visit(p);
            }
            return;
          }
        }
        const wrapped = ts.isVariableDeclaration(n) ? wrappedFunctions(n) : [];
        if (wrapped.length > 0) {
          // Defining it runs the wrapper, not the functions it wraps (they wait for a reference).
          const call = skipOuter((n as ts.VariableDeclaration).initializer!) as ts.CallExpression;
          visit(call.expression);
          for (const a of call.arguments) if (!wrapped.includes(skipOuter(a) as FunctionLike)) visit(a);
          return;
        }
        if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n) || ts.isTypeNode(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return;
        if (ts.isBinaryExpression(n) && assignToField(n)) {
          while (pending.length > 0) visit(pending.pop()!);
          return;
        }
        if (ts.isNewExpression(n)) onNew(n);
        if (ts.isCallExpression(n)) onCall(n);
        if (ts.isPropertyAccessExpression(n) && /^CANARIA_[A-Z0-9_]+$/.test(n.name.text)) env.add(n.name.text);
        if (ts.isElementAccessExpression(n) && ts.isStringLiteral(n.argumentExpression) && /^CANARIA_[A-Z0-9_]+$/.test(n.argumentExpression.text)) {
          env.add(n.argumentExpression.text);
        }
        if (ts.isShorthandPropertyAssignment(n)) handleSymbol(checker.getShorthandAssignmentValueSymbol(n), n.name);
        else if ((ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) && !isDeclarationName(n)) handleSymbol(checker.getSymbolAtLocation(n), n);
        ts.forEachChild(n, visit);
      };
      if (isFunctionLike(root)) {
        for (const p of root.parameters) if (p.initializer) visit(p.initializer);
        if (root.body) visit(root.body);
      } else visit(root);
    };
    const scanStatics = (cls: ts.ClassLikeDeclaration) => {
      for (const m of cls.members) {
        if (ts.isClassStaticBlockDeclaration(m)) enqueue(m.body);
        if (ts.isPropertyDeclaration(m) && isStatic(m) && m.initializer) enqueue(m.initializer);
      }
    };

    // Roots: every module's top level (an ESM import runs it), and the handler export.
    for (const sf of closure) enqueue(sf);
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(entry)!).find((s) => s.getName() === fn.exportName);
    if (!exported) throw new Error(`${fn.file} has no export ${fn.exportName}`);
    handleSymbol(exported, entry);
    while (queue.length > 0) scan(queue.shift()!);

    // Commands outside the storage adapters (an adapter method reached other than through its
    // port has no key to scope it by: no resource rule, an error).
    for (const c of commands) {
      const file = relative(repoRoot, c.node.getSourceFile().fileName).split(sep).join('/');
      const resource = FILE_COMMAND_RESOURCES[file]?.[c.action] ?? COMMAND_RESOURCES[c.action] ?? extraResource(c.action);
      if (!resource) fail(c.node, `${c.action}: no resource rule (add one to COMMAND_RESOURCES)`);
      needs.push({ action: c.action, resource, where: where(c.node) });
    }
    // Storage: each port call, with the commands of the adapter method implementing it.
    for (const call of portCalls) {
      const impls = implementationsOf(call.decl).filter((m) => inClosure.has(m.getSourceFile()));
      if (impls.length === 0) fail(call.call, `${call.port}.${call.method}: no implementation in the bundle`);
      for (const impl of impls) {
        const sub = this.commandsOf(impl);
        const resources =
          call.port === 'ObjectStore'
            ? [`bucket/${this.keyPattern(call.call.arguments[0], call.call)}`]
            : [`table:${this.partitionKey(call.call.arguments[0], call.call, call.method)}`];
        for (const action of sub.actions) {
          for (const resource of resources) needs.push({ action, resource, where: where(call.call) });
        }
        // Without s3:ListBucket S3 answers a missing key 403, not the NoSuchKey the adapter expects.
        if (call.port === 'ObjectStore' && sub.expectsNoSuchKey) needs.push({ action: 's3:ListBucket', resource: 'bucket', where: where(call.call) });
      }
    }
    // A KMS key of the customer's encrypting the secrets or parameters read.
    for (const n of [...needs]) {
      if (n.action === 'secretsmanager:GetSecretValue' || n.action === 'ssm:GetParameter') needs.push({ action: 'kms:Decrypt', resource: 'secretsKey', where: n.where });
    }
    return { needs: dedupe(needs), env, files: reachedFiles, packages };
  }

  /** The SDK actions of an adapter method (and what it calls), and whether it expects NoSuchKey. */
  private commandsOf(impl: ts.ClassElement): { actions: string[]; expectsNoSuchKey: boolean } {
    const actions = new Set<string>();
    let expectsNoSuchKey = false;
    const visit = (n: ts.Node): void => {
      if (ts.isNewExpression(n)) {
        const { pkg, name } = this.packageSymbol(n.expression) ?? {};
        if (pkg && name && SERVICE_PREFIX[pkg] && name.endsWith('Command')) {
          let op = name.slice(0, -'Command'.length);
          if (pkg === '@aws-sdk/lib-dynamodb') op = DOCUMENT_COMMANDS[op] ?? fail(n, `unknown document command ${op}`);
          for (const a of commandNeeds(`${SERVICE_PREFIX[pkg]}:${op}`, n.arguments?.[0])) actions.add(a);
        }
      }
      if (ts.isStringLiteral(n) && n.text === 'NoSuchKey') expectsNoSuchKey = true;
      // Private helpers of the adapter it calls.
      if (ts.isPropertyAccessExpression(n) && n.expression.kind === ts.SyntaxKind.ThisKeyword) {
        const d = this.resolve(this.checker.getSymbolAtLocation(n.name))?.declarations?.[0];
        if (d && ts.isMethodDeclaration(d) && d !== impl && d.body) ts.forEachChild(d.body, visit);
      }
      ts.forEachChild(n, visit);
    };
    visit(impl);
    if (actions.size === 0) fail(impl, 'a storage adapter method with no AWS command');
    return { actions: [...actions].sort(), expectsNoSuchKey };
  }

  /**
   * The package declaration an expression names: through imports, and through a binding of a
   * dynamic import (`const { SSMClient } = await import('@aws-sdk/client-ssm')`) by its type.
   */
  private packageSymbol(expr: ts.Expression): { pkg: string; name: string } | undefined {
    const candidates = [this.resolve(this.checker.getSymbolAtLocation(expr)), this.checker.getTypeAtLocation(expr).getSymbol()];
    for (const sym of candidates) {
      const decl = sym?.declarations?.[0];
      const pkg = decl && packageOf(decl.getSourceFile().fileName);
      if (pkg && sym) return { pkg, name: sym.getName() };
    }
    return undefined;
  }

  private resolve(sym: ts.Symbol | undefined): ts.Symbol | undefined {
    if (sym && sym.flags & ts.SymbolFlags.Alias) return this.checker.getAliasedSymbol(sym);
    return sym;
  }

  /** An object key as a pattern: literals kept, anything computed `*`. */
  keyPattern(expr: ts.Expression | undefined, site: ts.Node): string {
    if (!expr) fail(site, 'an object store call without a key');
    const pattern = this.stringPattern(expr, 0);
    if (pattern === undefined || /^\*/.test(pattern)) fail(site, `cannot derive the object key of ${expr.getText()}: keys must start with a literal prefix`);
    return pattern.replace(/\*+/g, '*');
  }

  /** A string expression's pattern, or undefined when nothing of it is known. */
  private stringPattern(expr: ts.Expression, depth: number): string | undefined {
    if (depth > 8) return undefined;
    const e = skipOuter(expr);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
    if (ts.isTemplateExpression(e)) {
      let out = e.head.text;
      for (const span of e.templateSpans) out += (this.stringPattern(span.expression, depth + 1) ?? '*') + span.literal.text;
      return out;
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      return (this.stringPattern(e.left, depth + 1) ?? '*') + (this.stringPattern(e.right, depth + 1) ?? '*');
    }
    if (ts.isIdentifier(e)) {
      const decl = this.resolve(this.checker.getSymbolAtLocation(e))?.declarations?.[0];
      if (decl && ts.isVariableDeclaration(decl) && decl.initializer && isConst(decl)) return this.stringPattern(decl.initializer, depth + 1);
      return undefined;
    }
    if (ts.isCallExpression(e)) {
      const ret = this.returnedExpression(e.expression);
      return ret ? this.stringPattern(ret, depth + 1) : undefined;
    }
    return undefined;
  }

  /** The one expression a called function returns (an arrow's body, or a single return). */
  private returnedExpression(callee: ts.Expression): ts.Expression | undefined {
    const decl = this.resolve(this.checker.getSymbolAtLocation(callee))?.declarations?.[0];
    let fn: ts.Node | undefined = decl;
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer) fn = skipOuter(decl.initializer);
    if (!fn || !isFunctionLike(fn) || !fn.body) return undefined;
    if (!ts.isBlock(fn.body)) return fn.body;
    const returns: ts.ReturnStatement[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isReturnStatement(n)) returns.push(n);
      else if (!isFunctionLike(n)) ts.forEachChild(n, visit);
    };
    ts.forEachChild(fn.body, visit);
    return returns.length === 1 ? returns[0].expression : undefined;
  }

  /** The partition key (pk) a record store call touches. */
  partitionKey(expr: ts.Expression | undefined, site: ts.Node, method: string): string {
    if (!expr) fail(site, `RecordStore.${method} without a key`);
    const pk = method === 'queryPartition' ? this.stringPattern(expr, 0) : this.pkOf(expr, 0);
    // `prefix#*`: a family of partitions (canaryExecutionByApp#<application>), granted as that pattern.
    if (pk === undefined || (pk.includes('*') && !/^[^*]+#\*$/.test(pk))) fail(site, `cannot derive the partition key (pk) of ${expr.getText()}`);
    return pk;
  }

  private pkOf(expr: ts.Expression, depth: number): string | undefined {
    if (depth > 8) return undefined;
    const e = skipOuter(expr);
    if (ts.isObjectLiteralExpression(e)) {
      let pk: string | undefined;
      for (const p of e.properties) {
        if (ts.isPropertyAssignment(p) && p.name.getText() === 'pk') pk = this.stringPattern(p.initializer, depth + 1);
        else if (ts.isShorthandPropertyAssignment(p) && p.name.text === 'pk') pk = this.stringPattern(p.name, depth + 1);
        else if (ts.isSpreadAssignment(p)) {
          // A spread whose type has no pk cannot set it.
          if (!this.checker.getTypeAtLocation(p.expression).getProperty('pk')) continue;
          pk = this.pkOf(p.expression, depth + 1);
        }
      }
      return pk;
    }
    if (ts.isCallExpression(e)) {
      // JSON.parse(JSON.stringify(x)): a copy of x (undefined values dropped), the same pk.
      const copied = jsonCopyOf(e);
      if (copied) return this.pkOf(copied, depth + 1);
      const ret = this.returnedExpression(e.expression);
      return ret ? this.pkOf(ret, depth + 1) : undefined;
    }
    return undefined;
  }
}

/** `x` of `JSON.parse(JSON.stringify(x))`. */
function jsonCopyOf(call: ts.CallExpression): ts.Expression | undefined {
  const isJson = (c: ts.Expression, method: string): c is ts.CallExpression =>
    ts.isCallExpression(c) && c.arguments.length === 1 && ts.isPropertyAccessExpression(c.expression) && c.expression.expression.getText() === 'JSON' && c.expression.name.text === method;
  if (!isJson(call, 'parse')) return undefined;
  const inner = skipOuter(call.arguments[0]);
  return isJson(inner, 'stringify') ? inner.arguments[0] : undefined;
}

/**
 * The functions a variable's initializer passes to a call (`const plan = bounded(async () => ...)`):
 * taken to run when the variable is used, not when it is defined (a wrapper returns a function
 * that calls them).
 */
function wrappedFunctions(decl: ts.VariableDeclaration): FunctionLike[] {
  const init = decl.initializer && skipOuter(decl.initializer);
  if (!init || !ts.isCallExpression(init)) return [];
  return init.arguments.map((a) => skipOuter(a) as ts.Node).filter((a): a is FunctionLike => isFunctionLike(a));
}

/** A function, or a variable holding one. */
function functionValued(sym: ts.Symbol | undefined): boolean {
  return (sym?.declarations ?? []).some(
    (d) => ts.isFunctionDeclaration(d) || (ts.isVariableDeclaration(d) && !!d.initializer && isFunctionLike(skipOuter(d.initializer))),
  );
}

/** Resources of actions that are not SDK commands of a known kind. */
function extraResource(action: string): string | undefined {
  if (action === 'sts:AssumeRole') return 'metricsRole';
  if (action === 'aps:QueryMetrics') return 'apsWorkspace';
  return undefined;
}

function dedupe(needs: Need[]): Need[] {
  const seen = new Map<string, Need>();
  for (const n of needs) {
    // One per file: a need some code has only under a condition (the test's GATED_BY_ENV) keeps its other sources.
    const k = `${n.action} ${n.resource} ${n.where.replace(/:\d+$/, '')}`;
    if (!seen.has(k)) seen.set(k, n);
  }
  return [...seen.values()].sort((a, b) => a.action.localeCompare(b.action) || a.resource.localeCompare(b.resource));
}

function skipOuter(e: ts.Expression): ts.Expression {
  let x = e;
  while (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isSatisfiesExpression(x) || ts.isNonNullExpression(x)) x = x.expression;
  return x;
}

function isConst(decl: ts.VariableDeclaration): boolean {
  return ts.isVariableDeclarationList(decl.parent) && (decl.parent.flags & ts.NodeFlags.Const) !== 0;
}

function isStatic(m: ts.ClassElement): boolean {
  return ts.canHaveModifiers(m) && (ts.getModifiers(m) ?? []).some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
}

/** Named functions, methods and function-valued variables or fields run only when referenced. */
function isDeferred(n: FunctionLike): boolean {
  if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) && ts.isClassLike(n.parent)) return true;
  if (ts.isConstructorDeclaration(n) || ts.isGetAccessorDeclaration(n) || ts.isSetAccessorDeclaration(n)) return true;
  const p = n.parent;
  return (ts.isVariableDeclaration(p) || ts.isPropertyDeclaration(p)) && p.initializer === n;
}

function isDeclarationName(n: ts.Node): boolean {
  const p = n.parent;
  // `a.b`: a reference (getNameOfDeclaration also names it, for JavaScript's `this.b = ...`).
  if (!p || ts.isPropertyAccessExpression(p) || ts.isShorthandPropertyAssignment(p)) return false;
  return ts.getNameOfDeclaration(p as ts.Declaration) === n;
}

export const handlerFile = (handler: string, exts = ['.ts']): { file: string; exportName: string } => {
  const dot = handler.lastIndexOf('.');
  return { file: handler.slice(0, dot) + exts[0], exportName: handler.slice(dot + 1) };
};

export { DeriveError };
