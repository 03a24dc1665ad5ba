// distributed.env(): torchrun's variables, their defaults and an error naming each bad one.

import { describe, expect, it } from 'vitest';
import { ArgumentError, DistributedError } from '../../lib/errors.js';
import { env } from '../../lib/distributed/index.js';

const FULL = { RANK: '3', LOCAL_RANK: '1', WORLD_SIZE: '4', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: 'node0', MASTER_PORT: '29500' };

function fails(source: Record<string, string | undefined>): string {
  try {
    env(source);
  } catch (err) {
    expect(err).toBeInstanceOf(DistributedError);
    return (err as Error).message;
  }
  throw new Error('env() accepted ' + JSON.stringify(source));
}

describe('distributed.env', () => {
  it('reads all six variables', () => {
    expect(env(FULL)).toEqual({ rank: 3, localRank: 1, worldSize: 4, localWorldSize: 2, masterAddr: 'node0', masterPort: 29500 });
  });

  it('defaults LOCAL_RANK and LOCAL_WORLD_SIZE to one node', () => {
    const { LOCAL_RANK: _r, LOCAL_WORLD_SIZE: _w, ...four } = FULL;
    expect(env(four)).toMatchObject({ rank: 3, localRank: 3, worldSize: 4, localWorldSize: 4 });
  });

  it('reads process.env by default', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, FULL);
      expect(env().rank).toBe(3);
    } finally {
      for (const k of Object.keys(FULL)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it.each([
    [{ RANK: undefined }, /^RANK is not set: expected an integer in 0\.\.3 \(WORLD_SIZE is 4\)/],
    [{ RANK: '4' }, /^RANK must be an integer in 0\.\.3 \(WORLD_SIZE is 4\), got '4'$/],
    [{ RANK: '-1' }, /^RANK must be an integer in 0\.\.3 .*got '-1'$/],
    [{ RANK: '1.5' }, /^RANK must be .*got '1\.5'$/],
    [{ WORLD_SIZE: undefined }, /^WORLD_SIZE is not set: expected an integer >= 1/],
    [{ WORLD_SIZE: '0' }, /^WORLD_SIZE must be an integer >= 1, got '0'$/],
    [{ LOCAL_WORLD_SIZE: '5' }, /^LOCAL_WORLD_SIZE must be an integer in 1\.\.4 \(WORLD_SIZE is 4\), got '5'$/],
    [{ LOCAL_RANK: '2' }, /^LOCAL_RANK must be an integer in 0\.\.1 \(LOCAL_WORLD_SIZE is 2\), got '2'$/],
    [{ LOCAL_RANK: undefined }, /^LOCAL_RANK is not set and RANK 3 is not below LOCAL_WORLD_SIZE 2/],
    [{ MASTER_ADDR: ' ' }, /^MASTER_ADDR is not set: expected the host name or IP address of rank 0's machine/],
    [{ MASTER_PORT: '0' }, /^MASTER_PORT must be a TCP port in 1\.\.65535, got '0'$/],
    [{ MASTER_PORT: '65536' }, /^MASTER_PORT must be a TCP port in 1\.\.65535, got '65536'$/],
    [{ MASTER_PORT: 'http' }, /^MASTER_PORT must be a TCP port in 1\.\.65535, got 'http'$/],
  ])('%o is a DistributedError naming the variable and the expected value', (change, message) => {
    expect(fails({ ...FULL, ...change })).toMatch(message);
  });

  it('values that are no strings (a hand-built source) and a source that is no object are typed errors', () => {
    expect(fails({ ...FULL, RANK: 3 as never })).toBe("RANK must be an integer in 0..3 (WORLD_SIZE is 4) (a string of digits, as in an environment), got 3");
    expect(fails({ ...FULL, WORLD_SIZE: null as never })).toMatch(/^WORLD_SIZE must be an integer >= 1 \(a string of digits, as in an environment\), got null/);
    expect(fails({ ...FULL, MASTER_ADDR: {} as never })).toMatch(/^MASTER_ADDR must be a host name or IP address, got/);
    expect(fails({ ...FULL, MASTER_PORT: Symbol('p') as never })).toMatch(/^MASTER_PORT must be a TCP port/);
    for (const source of [null, 3, 'RANK=0']) expect(() => env(source as never)).toThrow(ArgumentError);
  });
});
