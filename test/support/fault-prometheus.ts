// A fake Prometheus on 127.0.0.1 that answers /api/v1/query_range with scripted faults, for the
// fault tests. The mode is chosen per request by a `fault="MODE"` matcher in the query, so one
// server serves every mode at once and a canary config picks its fault in its PromQL:
//
//   PromQL:latency{fault="drip",${scope}}
//
// Large bodies are built when the server starts (building 50 MB takes a second of CPU, which
// must not count against the service under test), and sent without Content-Length, so that
// the client has to stop reading on its own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAULT_MODES = [
  'ok', //            one series of `points` values, the same for every scope
  'flaky', //         500 on the first request of each query, then as ok
  '500', //           always HTTP 500 with Prometheus' error JSON
  'slow', //          headers only after slowMs (beyond the client's timeout)
  'drip', //          headers at once, then the ok body one byte per dripMs
  'garbage', //       HTTP 200 with an HTML page
  'wrong-shape', //   HTTP 200 JSON without data.result
  'truncated', //     HTTP 200 whose JSON ends halfway (complete HTTP framing)
  'reset', //         headers and 1 KiB of body, then a TCP reset
  'nan-inf', //       every third value NaN, +Inf or -Inf
  'huge', //          ~50 MB: 30,000 series of 70 points
  'many-series', //   30,000 series of 5 points (~7 MB: under the byte cap, over the series cap)
  'at-cap', //        atCap.series series of atCap.points points, just under the default caps
] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface FaultPrometheusOptions {
  /** Points of the ok, flaky, drip, truncated, reset and nan-inf answers. Default 60. */
  points?: number;
  /** How long slow waits before its headers. Default 30 s (the server's stop ends it sooner). */
  slowMs?: number;
  /** Milliseconds between the bytes of drip. Default 50. */
  dripMs?: number;
  /** Series and points of at-cap. Default 1,000 × 700 (≈ 15.8 MB: under the default 16 MiB). */
  atCap?: { series: number; points: number };
}

export interface FaultPrometheus {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Requests received per mode. */
  requests: Map<FaultMode, number>;
  /** Bytes of the big bodies, for the report. */
  sizes: { huge: number; manySeries: number; atCap: number };
  stop(): Promise<void>;
}

const T0 = 1_700_000_000;

type Series = { metric: Record<string, string>; values: Array<[number, string]> };
const matrix = (result: Series[]) => JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });

/** A wave around 100, as the strings Prometheus writes. */
const WAVE = Array.from({ length: 256 }, (_, k) => (100 + 10 * Math.sin(k / 3)).toFixed(3));

/** `n` values of the wave shifted by `seed`; `value(k, v)` may replace one. */
function values(n: number, seed: number, value: (k: number, v: string) => string = (_k, v) => v): Array<[number, string]> {
  return Array.from({ length: n }, (_, k): [number, string] => [T0 + 60 * k, value(k, WAVE[(k + seed) & 255])]);
}

/** `count` series with the labels of a per-pod breakdown, written out directly (50 MB in well under a second). */
function manySeries(count: number, points: number): Buffer {
  const parts: string[] = ['{"status":"success","data":{"resultType":"matrix","result":['];
  for (let i = 0; i < count; i++) {
    const pod = `shop-7f9c8d6b5-${i.toString(36).padStart(5, '0')}`;
    const samples: string[] = new Array(points);
    for (let k = 0; k < points; k++) samples[k] = `[${T0 + 60 * k},"${WAVE[(k + i) & 255]}"]`;
    parts.push(`${i === 0 ? '' : ','}{"metric":{"__name__":"latency","job":"shop","pod":"${pod}"},"values":[${samples.join(',')}]}`);
  }
  parts.push(']}}');
  return Buffer.from(parts.join(''));
}

export async function startFaultPrometheus(options: FaultPrometheusOptions = {}): Promise<FaultPrometheus> {
  const points = options.points ?? 60;
  const slowMs = options.slowMs ?? 30_000;
  const dripMs = options.dripMs ?? 50;
  const atCap = options.atCap ?? { series: 1000, points: 700 };
  const ok = Buffer.from(matrix([{ metric: { __name__: 'latency' }, values: values(points, 0) }]));
  const nanInf = Buffer.from(
    matrix([{ metric: { __name__: 'latency' }, values: values(points, 0, (k, v) => (k % 3 === 0 ? ['NaN', '+Inf', '-Inf'][(k / 3) % 3] : v)) }]),
  );
  const big = { huge: manySeries(30_000, 70), manySeries: manySeries(30_000, 5), atCap: manySeries(atCap.series, atCap.points) };
  const requests = new Map<FaultMode, number>();
  const seen = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const json = (res: ServerResponse, status: number, body: Buffer | string) =>
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
  /** A big body without Content-Length, handed to the socket at once (the client stops reading when it wants). */
  const stream = (res: ServerResponse, body: Buffer) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    res.on('error', () => undefined); // a client that stops reading is what some modes test
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/api/v1/query_range') return json(res, 404, '{"status":"error","error":"not found"}');
    const query = url.searchParams.get('query') ?? '';
    const mode = (/fault="([\w-]+)"/.exec(query)?.[1] ?? 'ok') as FaultMode;
    requests.set(mode, (requests.get(mode) ?? 0) + 1);
    switch (mode) {
      case 'ok':
        return json(res, 200, ok);
      case 'flaky':
        if (seen.has(query)) return json(res, 200, ok);
        seen.add(query);
        return json(res, 500, '{"status":"error","errorType":"internal","error":"fake: first request fails"}');
      case '500':
        return json(res, 500, '{"status":"error","errorType":"internal","error":"fake: storage unavailable"}');
      case 'slow':
        return later(slowMs, () => json(res, 200, ok));
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(ok.length) });
        let at = 0;
        const drip = () => {
          if (res.destroyed) return;
          res.write(ok.subarray(at, ++at));
          if (at < ok.length) later(dripMs, drip);
          else res.end();
        };
        return drip();
      }
      case 'garbage':
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      case 'wrong-shape':
        return json(res, 200, '{"status":"success","data":{"resultType":"matrix","series":[]}}');
      case 'truncated':
        return json(res, 200, ok.subarray(0, Math.floor(ok.length / 2)));
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(ok.length) });
        return void res.write(ok.subarray(0, 1024), () => res.socket?.resetAndDestroy());
      case 'nan-inf':
        return json(res, 200, nanInf);
      case 'huge':
        return stream(res, big.huge);
      case 'many-series':
        return stream(res, big.manySeries);
      case 'at-cap':
        return stream(res, big.atCap);
      default:
        return json(res, 400, `{"status":"error","errorType":"bad_data","error":"fake: unknown fault ${JSON.stringify(mode)}"}`);
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    sizes: { huge: big.huge.length, manySeries: big.manySeries.length, atCap: big.atCap.length },
    async stop() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
