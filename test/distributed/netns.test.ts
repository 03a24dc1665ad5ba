// Two "machines": two network namespaces joined by a veth pair, one rank in each, so the TCP
// rendezvous (rnnkit's TcpStore, served by rank 0's process) and Gloo's transport cross a real
// interface rather than loopback. Then a rank killed there, and a rank pointed at a master nobody
// has. Needs root, iproute2
// and the Gloo module (CI has all three); skips, saying why, otherwise.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glooAvailable } from '../../lib/distributed/gloo.js';
import { expectCollectives } from './expect-collectives.js';
import { finished, startRank } from './ranks.js';

// Namespaces and links of a run carry this prefix and the test process's pid, so a run removes
// the leftovers of runs that died before their cleanup, and only those.
const kPrefix = 'rkns'; // short: the veth names (prefix, pid, 'av') must fit IFNAMSIZ's 15 characters
const nsA = `${kPrefix}${process.pid}a`;
const nsB = `${kPrefix}${process.pid}b`;
const [addrA, addrB, nobody] = ['10.213.0.1', '10.213.0.2', '10.213.0.99'];
const kPort = 29500; // a fresh namespace listens on nothing, so any port is free there
const kTimeoutMs = 15_000;

function run(...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

function ip(...args: string[]): void {
  const r = run('ip', ...args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')}: ${r.out}`);
}

function whySkip(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  if (!run('ip', '-V').ok) return 'needs iproute2 (ip)';
  const gloo = glooAvailable();
  if (!gloo.available) return `needs the Gloo module: ${gloo.reason}`;
  const probe = run('unshare', '--net', 'true');
  if (!probe.ok) return `cannot create network namespaces: ${probe.out}`;
  return undefined;
}

/** Deletes this prefix's namespaces whose test process is gone (deleting one removes its veth end). */
function sweepStale(): void {
  for (const line of run('ip', 'netns', 'list').out.split('\n')) {
    const m = new RegExp(`^(${kPrefix}(\\d+)[ab])\\b`).exec(line);
    if (!m || Number(m[2]) === process.pid) continue;
    if (run('kill', '-0', m[2]!).ok) continue; // its run is still going
    run('ip', 'netns', 'delete', m[1]!);
  }
}

function teardown(): void {
  for (const ns of [nsA, nsB]) run('ip', 'netns', 'delete', ns);
}

const skip = whySkip();
if (skip) console.warn(`netns tests skipped: ${skip}`);

describe.skipIf(skip !== undefined)('two ranks in two network namespaces over a veth pair', () => {
  beforeAll(() => {
    sweepStale();
    teardown();
    try {
      ip('netns', 'add', nsA);
      ip('netns', 'add', nsB);
      ip('link', 'add', `${nsA}v`, 'netns', nsA, 'type', 'veth', 'peer', 'name', `${nsB}v`, 'netns', nsB);
      for (const [ns, addr] of [
        [nsA, addrA],
        [nsB, addrB],
      ] as const) {
        ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', `${ns}v`);
        ip('-n', ns, 'link', 'set', `${ns}v`, 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (err) {
      teardown();
      throw err;
    }
  });
  afterAll(teardown);

  const exec = (ns: string): string[] => ['ip', 'netns', 'exec', ns];

  it("rendezvous through rank 0's TcpStore and collectives across the veth", async () => {
    const store = { kind: 'tcp' as const, host: addrA, port: kPort };
    const common = { worldSize: 2, store, timeoutMs: kTimeoutMs, scenario: 'collectives' as const };
    // Rank 0 listens on its address, rank 1 names its interface (GLOO_SOCKET_IFNAME's way): both
    // work inside a namespace.
    const ranks = await Promise.all([
      startRank({ ...common, rank: 0, hostname: addrA, serve: { host: addrA, port: kPort } }, exec(nsA)),
      startRank({ ...common, rank: 1, iface: `${nsB}v` }, exec(nsB)),
    ]);
    expectCollectives(await finished(ranks), 2);
    // The traffic went over the veth: rank 1's end received the store's replies and Gloo's data.
    const stats = run('ip', '-n', nsB, '-s', '-j', 'link', 'show', `${nsB}v`);
    const received = (JSON.parse(stats.out) as { stats64: { rx: { bytes: number } } }[])[0]!.stats64.rx.bytes;
    expect(received).toBeGreaterThan(8 * 1000); // at least the 1000-float allReduces
  });

  it('a rank killed across the veth: the other gets a DistributedError naming it and its address', async () => {
    const store = { kind: 'tcp' as const, host: addrA, port: kPort };
    const common = { worldSize: 2, store, timeoutMs: kTimeoutMs, scenario: 'killed' as const };
    const [survivor, victim] = await Promise.all([
      startRank({ ...common, rank: 0, hostname: addrA, serve: { host: addrA, port: kPort } }, exec(nsA)),
      startRank({ ...common, rank: 1, hostname: addrB }, exec(nsB)),
    ]);
    await Promise.all([victim.next('victim'), survivor.next('waiting')]);
    victim.child.kill('SIGKILL'); // `ip netns exec` execs node: this is the rank itself
    const outcome = await survivor.next('error');
    expect(outcome.message).toMatch(/^allReduce: rank 1 is gone \(connection to 10\.213\.0\.2:\d+ (closed|reset)\) after \d+\.\d s$/);
    expect(outcome.elapsedMs as number).toBeLessThan(kTimeoutMs);
    expect(await survivor.exited).toBe(0);
  });

  it('a master nobody has: a DistributedError naming its address and port within the timeout', async () => {
    const timeoutMs = 2000;
    const rank = await startRank(
      { rank: 1, worldSize: 2, store: { kind: 'tcp', host: nobody, port: kPort }, timeoutMs, scenario: 'rendezvous', hostname: addrB },
      exec(nsB),
    );
    const [events] = await finished([rank]);
    const outcome = events![0]!;
    expect(outcome.error, JSON.stringify(outcome)).toBe('DistributedError');
    expect(outcome.message).toContain(`${nobody}:${kPort}`);
    expect(outcome.elapsedMs as number).toBeLessThan(timeoutMs + 2000);
  });
});
