// Matches requests to routes and turns every failure into a JSON {message} reply.
import { parseWith, ValidationError } from '../config/validation.ts';
import { ClientError } from '../errors.ts';
import { errorBody, type ApiRequest, type ApiResponse } from './http.ts';
import { ROUTES, type RouteId, type RouteSpec } from './routes.ts';

export type RouteHandler = (req: ApiRequest, params: Record<string, string>) => Promise<ApiResponse>;
export type Handlers = Partial<Record<RouteId, RouteHandler>>;
export type App = (req: ApiRequest) => Promise<ApiResponse>;

interface Compiled {
  id: RouteId;
  method: string;
  segments: string[];
}

const compiled: Compiled[] = Object.entries(ROUTES).map(([id, r]) => ({
  id: id as RouteId,
  method: r.method,
  segments: r.path.split('/').filter(Boolean),
}));

/** Literal segments win over {params} (as /canary/executions over /canary/{id}). */
function match(path: string): Array<{ route: Compiled; params: Record<string, string> }> {
  const parts = path.split('/').filter(Boolean);
  const found: Array<{ route: Compiled; params: Record<string, string>; literals: number }> = [];
  for (const route of compiled) {
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let literals = 0;
    let ok = true;
    route.segments.forEach((seg, i) => {
      if (seg.startsWith('{')) {
        try {
          params[seg.slice(1, -1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
        }
      } else if (seg === parts[i]) literals++;
      else ok = false;
    });
    if (ok) found.push({ route, params, literals });
  }
  const best = Math.max(...found.map((f) => f.literals));
  return found.filter((f) => f.literals === best);
}

/**
 * The route of the table that `method` and `path` reach, whatever App serves it (the auth
 * middleware asks before the router runs); undefined when none does (the router answers 404
 * or 405). The path parameters are not checked here.
 */
export function findRoute(method: string, path: string): { id: RouteId; params: Record<string, string> } | undefined {
  const hit = match(path).find((c) => c.route.method === method);
  return hit ? { id: hit.route.id, params: hit.params } : undefined;
}

/**
 * The path parameters, each checked against its schema in the route table (the one place ids
 * from paths are validated): a ClientError with the route's status for an invalid id otherwise.
 */
function checkedParams(id: RouteId, params: Record<string, string>): Record<string, string> {
  const specs = (ROUTES[id] as RouteSpec).params ?? {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const spec = specs[name];
    if (!spec) throw new Error(`route ${id}: path parameter {${name}} has no schema in the route table`);
    try {
      out[name] = parseWith(spec.schema, value, [name]);
    } catch (err) {
      if (err instanceof ValidationError) throw new ClientError(spec.invalid, err.message, err.issues);
      throw err;
    }
  }
  return out;
}

export function createApp(handlers: Handlers, log: (message: string) => void = (m) => console.error(m)): App {
  return async (req) => {
    const candidates = match(req.path).filter((c) => handlers[c.route.id]);
    const hit = candidates.find((c) => c.route.method === req.method);
    if (!hit) {
      if (candidates.length === 0) return errorBody(404, `No route for ${req.method} ${req.path}.`);
      const allow = [...new Set(candidates.map((c) => c.route.method))].join(', ');
      return { ...errorBody(405, `Method ${req.method} is not allowed on ${req.path}; use ${allow}.`), headers: { 'content-type': 'application/json', allow } };
    }
    try {
      return await handlers[hit.route.id]!(req, checkedParams(hit.route.id, hit.params));
    } catch (err) {
      if (err instanceof ValidationError) return errorBody(400, err.message, err.issues);
      if (err instanceof ClientError) return errorBody(err.status, err.message, err.issues);
      log(`${req.method} ${req.path} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return errorBody(500, 'Internal error; the service log has the details.');
    }
  };
}
