// TensorBoard event files: CRC-32C against RFC 3720's vectors, the masked CRC, TFRecord framing and
// Event/Summary protobuf bytes against bytes tensorboard's own writer produced
// (fixtures/make_tensorboard_fixtures.py), the tensorBoard() callback read back, and bad input.

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as rk from '../../lib/index.js';
import { crc32c, maskedCrc32c } from '../../lib/io/crc32c.js';
import { decodeEventFile, eventRecord, type TfEvent } from '../../lib/io/tf-event.js';
import { decodeRecords, encodeRecord } from '../../lib/io/tfrecord.js';
import type { EpochLog, FitContext } from '../../lib/train/fit.js';

const fixtureDir = new URL('../fixtures/', import.meta.url);
const fixtureBytes = new Uint8Array(readFileSync(new URL('tensorboard_events.tfevents', fixtureDir)));
interface FixtureEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars?: { tag: string; value: number | null }[];
}
const fixture = JSON.parse(readFileSync(new URL('tensorboard_events.json', fixtureDir), 'utf8')) as {
  events: FixtureEvent[];
  maskedCrc32c: { text: string; masked: number }[];
};
const fixtureEvents: TfEvent[] = fixture.events.map(({ scalars, ...e }) => ({
  ...e,
  ...(scalars ? { scalars: scalars.map((s) => ({ tag: s.tag, value: s.value ?? NaN })) } : {}),
}));

const bytes = (values: number[]): Uint8Array => Uint8Array.from(values);
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'rnnkit-tb-'));

describe('crc32c', () => {
  it("matches RFC 3720's test vectors (B.4) and the check value of '123456789'", () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(bytes(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(bytes(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    // An iSCSI SCSI Read (10) command PDU.
    const pdu = [
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    expect(crc32c(bytes(pdu))).toBe(0xd9963a56);
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it("masks as tensorboard's implementation does", () => {
    expect(fixture.maskedCrc32c.length).toBeGreaterThan(3);
    for (const { text, masked } of fixture.maskedCrc32c) expect(maskedCrc32c(new TextEncoder().encode(text)), text).toBe(masked);
  });
});

describe('event files', () => {
  it("encodes the fixture's events to the bytes tensorboard's writer wrote", () => {
    const ours = Buffer.concat(fixtureEvents.map(eventRecord));
    expect(ours.length).toBe(fixtureBytes.length);
    expect(Buffer.compare(ours, fixtureBytes)).toBe(0);
  });

  it("decodes tensorboard's bytes to the fixture's values", () => {
    const events = decodeEventFile(fixtureBytes, 'fixture');
    expect(events).toEqual(fixtureEvents);
    expect(events[0]!.fileVersion).toBe('brain.Event:2');
    expect(events[4]!.step).toBe(2 ** 40 + 3);
  });

  it('round-trips any record through the framing', () => {
    const data = [new Uint8Array(0), bytes([1, 2, 3]), new Uint8Array(300).fill(7)];
    const file = Buffer.concat(data.map(encodeRecord));
    expect(file.length).toBe(data.reduce((n, d) => n + d.length + 16, 0));
    expect(decodeRecords(file, 'f').map((d) => [...d])).toEqual(data.map((d) => [...d]));
  });

  it('rejects a corrupted or cut file with an ArgumentError naming the file, record and byte', () => {
    const second = 16 + (decodeRecords(fixtureBytes, 'f')[0]!.length);
    const flipped = fixtureBytes.slice();
    flipped[second + 20] = flipped[second + 20]! ^ 1;
    expect(() => decodeEventFile(flipped, 'run.tfevents')).toThrow(rk.ArgumentError);
    expect(() => decodeEventFile(flipped, 'run.tfevents')).toThrow(`run.tfevents: record 1 (byte ${second}): the data's CRC does not match`);
    const badLength = fixtureBytes.slice();
    badLength[second] = badLength[second]! ^ 1;
    expect(() => decodeEventFile(badLength, 'run.tfevents')).toThrow(`run.tfevents: record 1 (byte ${second}): the length's CRC does not match`);
    expect(() => decodeEventFile(fixtureBytes.subarray(0, second + 5), 'run.tfevents')).toThrow(/record 1 .*ends inside the record's 12-byte header/);
    expect(() => decodeEventFile(fixtureBytes.subarray(0, second + 20), 'run.tfevents')).toThrow(/record 1 .*run past the end of the file/);
    // A record whose data is not an Event: field 2 (step) as a string.
    const notEvent = encodeRecord(bytes([0x12, 0x01, 0x41]));
    expect(() => decodeEventFile(notEvent, 'x')).toThrow('x: record 0: Event.step (field 2) has wire type 2, expected 0');
    expect(() => decodeEventFile(encodeRecord(bytes([0x1a, 0x05, 0x41])), 'x')).toThrow(/runs past the message's end/);
  });
});

const log = (epoch: number, loss: number, extra: Partial<EpochLog> = {}): EpochLog => ({
  epoch, loss, metrics: { accuracy: 0.25 + epoch / 10 }, valLoss: loss + 0.5, valMetrics: { accuracy: 0.2 + epoch / 10 },
  lr: 0.001 / (epoch + 1), seconds: 1.5, tokensPerSecond: 1000, ...extra,
});
const contextAt = (epoch: number): FitContext =>
  ({ epoch, optimizer: { lr: 0.001, step: () => undefined, zeroGrad: () => undefined } }) as unknown as FitContext;

describe('tensorBoard()', () => {
  it('writes a TensorFlow-named event file: file_version first, then each epoch and every N-th step', async () => {
    const dir = join(tempDir(), 'logs', 'run1');
    const cb = rk.train.tensorBoard(dir, { everySteps: 2 });
    const before = Date.now() / 1000;
    for (let step = 1; step <= 3; step++) await cb.onStepEnd!(step, 2 - step / 10, contextAt(0));
    await cb.onEpochEnd!(log(0, 1.9), contextAt(0));
    await cb.onStepEnd!(4, 1.6, contextAt(1));
    await cb.onEpochEnd!(log(1, 1.2, { metrics: { accuracy: 0.5 }, valLoss: NaN }), contextAt(1));
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    const name = files[0]!;
    expect(name).toMatch(new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${hostname().replace(/[.]/g, '\\.')}\\.${process.pid}\\.\\d+$`));
    const events = await rk.train.readEvents(join(dir, name));
    expect(events[0]).toEqual({ wallTime: expect.any(Number), step: 0, fileVersion: 'brain.Event:2' });
    expect(events[0]!.wallTime).toBeGreaterThanOrEqual(Math.floor(before));
    const f = Math.fround;
    expect(events.slice(1).map((e) => ({ step: e.step, scalars: e.scalars }))).toEqual([
      { step: 2, scalars: [{ tag: 'train/step_loss', value: f(1.8) }] },
      {
        step: 0,
        scalars: [
          { tag: 'train/loss', value: f(1.9) }, { tag: 'train/accuracy', value: f(0.25) }, { tag: 'val/loss', value: f(2.4) },
          { tag: 'val/accuracy', value: f(0.2) }, { tag: 'lr', value: f(0.001) },
        ],
      },
      { step: 4, scalars: [{ tag: 'train/step_loss', value: f(1.6) }] },
      {
        step: 1,
        scalars: [
          { tag: 'train/loss', value: f(1.2) }, { tag: 'train/accuracy', value: f(0.5) }, { tag: 'val/loss', value: NaN },
          { tag: 'val/accuracy', value: f(0.3) }, { tag: 'lr', value: f(0.0005) },
        ],
      },
    ]);
    // A second callback is a second file, numbered after the first.
    const other = rk.train.tensorBoard(dir);
    await other.onEpochEnd!(log(0, 1), contextAt(0));
    await other.onStepEnd!(2, 1, contextAt(0));
    const names = readdirSync(dir).sort((a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)));
    expect(names).toHaveLength(2);
    expect(Number(names[1]!.split('.').at(-1))).toBe(Number(name.split('.').at(-1)) + 1);
    expect((await rk.train.readEvents(join(dir, names[1]!))).map((e) => e.step)).toEqual([0, 0]);
  });

  it('rejects bad arguments with ArgumentErrors naming them', async () => {
    const bad = (f: () => unknown, message: string | RegExp): void => {
      expect(f).toThrow(rk.ArgumentError);
      expect(f).toThrow(message);
    };
    bad(() => rk.train.tensorBoard('' as string), "tensorBoard: logDir must be a non-empty file path, got ''");
    bad(() => rk.train.tensorBoard(7 as unknown as string), /tensorBoard: logDir must be a non-empty file path, got 7/);
    bad(() => rk.train.tensorBoard('d', { everySteps: 0 }), 'tensorBoard: options.everySteps must be >= 1, got 0');
    bad(() => rk.train.tensorBoard('d', { everySteps: 1.5 }), /tensorBoard: options.everySteps must be a finite integer/);
    bad(() => rk.train.tensorBoard('d', { every: 2 } as never), "tensorBoard: unknown option 'every' (known: everySteps)");
    const dir = tempDir();
    await expect(rk.train.readEvents(join(dir, 'none'))).rejects.toThrow(/readEvents: cannot read .*none: ENOENT/);
    writeFileSync(join(dir, 'text'), 'not an event file at all');
    await expect(rk.train.readEvents(join(dir, 'text'))).rejects.toThrow(rk.ArgumentError);
    // A write that cannot happen (the log folder is a file) is a typed error too.
    const cb = rk.train.tensorBoard(join(dir, 'text'));
    await expect(cb.onEpochEnd!(log(0, 1), contextAt(0))).rejects.toThrow(rk.CheckpointError);
    await expect(cb.onEpochEnd!(log(0, 1), contextAt(0))).rejects.toThrow(/tensorBoard: cannot write .*text\/events\.out\.tfevents\..*: (EEXIST|ENOTDIR)/);
  });
});
