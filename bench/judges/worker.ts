// Worker thread of the judges benchmark: rebuilds the same cell list, runs the slices it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { buildCells } from './cells.ts';
import { runSlice } from './run.ts';
import { buildSequentialCells, runSequentialSlice } from './sequential.ts';

export interface Job {
  id: number;
  cell: number;
  start: number;
  end: number;
  /** family 7: `cell` indexes buildSequentialCells() */
  seq?: boolean;
}

const { seed } = workerData as { seed: number };
const cells = buildCells();
const seqCells = buildSequentialCells();
const port = parentPort;
if (!port) throw new Error('bench/judges/worker.ts runs as a worker thread');
port.on('message', (job: Job) => {
  if (job.seq) port.postMessage({ job, seqTally: runSequentialSlice(seqCells[job.cell], job.start, job.end, seed) });
  else port.postMessage({ job, tally: runSlice(cells[job.cell], job.start, job.end, { seed }) });
});
