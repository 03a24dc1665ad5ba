// One rank of a test/distributed/gloo.test.ts run (bundled by ranks.ts, run as a child
// process): `node gloo-child.mjs <json of ChildArgs>`. Prints one JSON line per event on stdout.

import { GlooGroup } from '../../lib/distributed/gloo.js';
import { TcpStore } from '../../lib/distributed/store.js';
import { tensor } from '../../lib/ops/creation.js';
import { input, kLength } from './gloo-inputs.js';

export interface ChildArgs {
  rank: number;
  worldSize: number;
  store: { kind: 'file'; path: string } | { kind: 'tcp'; host: string; port: number };
  timeoutMs: number;
  /** 'rendezvous': only reports how GlooGroup.create ended. */
  scenario: 'collectives' | 'killed' | 'mismatch' | 'rendezvous';
  /** Where Gloo listens (default 127.0.0.1), or the interface to listen on instead. */
  hostname?: string;
  iface?: string;
  /** Serve the TCP store here first, as rank 0's process does under a launcher. */
  serve?: { host: string; port: number };
}

const args = JSON.parse(process.argv[2]!) as ChildArgs;
const say = (event: object): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
const values = (rank: number): Float32Array => Float32Array.from({ length: kLength }, (_, i) => input(rank, i));

const server = args.serve && (await TcpStore.serve({ ...args.serve, worldSize: args.worldSize, timeoutMs: args.timeoutMs }));
const { scenario: _scenario, serve: _serve, ...groupArgs } = args;
const options = { ...groupArgs, ...(args.iface === undefined ? { hostname: args.hostname ?? '127.0.0.1' } : {}) };
if (args.scenario === 'rendezvous') {
  const started = Date.now();
  const outcome = await GlooGroup.create(options).then(
    (group) => (group.destroy(), { error: null }),
    (err: Error) => ({ error: err.name, message: err.message }),
  );
  say({ ...outcome, elapsedMs: Date.now() - started });
  process.exit(0);
}
const group = await GlooGroup.create(options);
const { rank, worldSize } = group;

if (args.scenario === 'collectives') {
  const sum = tensor(values(rank));
  await group.allReduce(sum);
  const mean = tensor(values(rank));
  await group.allReduce(mean, { op: 'mean' });
  const ints = tensor(Int32Array.from([rank, 10 * rank, -rank]));
  await group.allReduce(ints);
  const max = tensor([rank, -rank]);
  await group.allReduce(max, { op: 'max' });
  const min = tensor([rank, -rank]);
  await group.allReduce(min, { op: 'min' });
  const src = worldSize - 1;
  const bcast = tensor([rank, rank * 2, rank * 3]);
  await group.broadcast(bcast, { src });
  const gathered = await group.allGather(tensor(Int32Array.from([rank, rank * rank])));
  await group.barrier();
  say({
    sum: Array.from(await sum.data()),
    mean: Array.from(await mean.data()),
    ints: Array.from(await ints.data()),
    max: Array.from(await max.data()),
    min: Array.from(await min.data()),
    bcast: Array.from(await bcast.data()),
    gathered: Array.from(await gathered.data()),
    gatheredShape: gathered.shape,
  });
} else if (args.scenario === 'killed') {
  await group.barrier();
  if (rank === worldSize - 1) {
    say({ victim: true });
    setInterval(() => undefined, 1000); // waits to be killed, never joining the allReduce
  } else {
    say({ waiting: true });
    const started = Date.now();
    try {
      await group.allReduce(tensor(values(rank)));
      say({ error: null });
    } catch (err) {
      say({ error: (err as Error).name, message: (err as Error).message, elapsedMs: Date.now() - started });
    }
  }
} else {
  // Rank r reduces 4 + r elements: every rank must refuse.
  try {
    await group.allReduce(tensor(new Float32Array(4 + rank)));
    say({ error: null });
  } catch (err) {
    say({ error: (err as Error).name, message: (err as Error).message });
  }
}
if (args.scenario !== 'killed' || rank !== worldSize - 1) group.destroy();
await server?.close();
