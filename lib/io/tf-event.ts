// TensorBoard's Event message (tensorflow/core/util/event.proto) with scalar summaries, as the
// bytes the reference protobuf serializer writes. Only what scalar logs need:
//   Event   { double wall_time = 1; int64 step = 2; oneof { string file_version = 3; Summary summary = 5; ... } }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; oneof { float simple_value = 2; ... } }
// simple_value scalars are what Keras 2, PyTorch's SummaryWriter and tensorboard's own writer
// emit, and what every TensorBoard version reads.

import { ArgumentError } from '../errors.js';
import { asDouble, asFloat, asString, ProtoWriter, readFields, type ProtoField } from './protobuf.js';
import { decodeRecords, encodeRecord } from './tfrecord.js';

/** The first event of every event file. */
export const FILE_VERSION = 'brain.Event:2';

export interface Scalar {
  tag: string;
  /** Stored as float32. */
  value: number;
}

export interface TfEvent {
  /** Seconds since 1970. */
  wallTime: number;
  step: number;
  fileVersion?: string;
  /** The summary's simple_value scalars (values of other kinds are left out when reading). */
  scalars?: Scalar[];
}

/** The Event message's bytes. Zero wall_time / step and an empty tag are omitted, as proto3 does. */
export function encodeEvent(event: TfEvent): Uint8Array {
  const w = new ProtoWriter();
  if (event.wallTime !== 0) w.double(1, event.wallTime);
  if (event.step !== 0) w.uint(2, event.step);
  if (event.fileVersion !== undefined) w.string(3, event.fileVersion);
  if (event.scalars !== undefined) {
    const summary = new ProtoWriter();
    for (const s of event.scalars) {
      const value = new ProtoWriter();
      if (s.tag !== '') value.string(1, s.tag);
      summary.bytes(1, value.float(2, s.value).finish());
    }
    w.bytes(5, summary.finish());
  }
  return w.finish();
}

/** An event as one TFRecord. */
export const eventRecord = (event: TfEvent): Uint8Array => encodeRecord(encodeEvent(event));

const wrongWire = (f: ProtoField, wire: number, what: string, name: string): ArgumentError =>
  new ArgumentError(`${what}: ${name} (field ${f.field}) has wire type ${f.wire}, expected ${wire}`);

/** The payload of a field that must have wire type `wire`. */
function payload(f: ProtoField, wire: 1 | 2 | 5, what: string, name: string): Uint8Array {
  if (f.wire !== wire) throw wrongWire(f, wire, what, name);
  return f.payload;
}

function varint(f: ProtoField, what: string, name: string): number {
  if (f.wire !== 0) throw wrongWire(f, 0, what, name);
  return f.value;
}

function decodeScalars(bytes: Uint8Array, what: string): Scalar[] {
  const scalars: Scalar[] = [];
  for (const f of readFields(bytes, `${what} summary`)) {
    if (f.field !== 1) continue;
    let tag = '';
    let value: number | undefined;
    for (const v of readFields(payload(f, 2, what, 'Summary.value'), `${what} summary value`)) {
      if (v.field === 1) tag = asString(payload(v, 2, what, 'Value.tag'), what);
      else if (v.field === 2) value = asFloat(payload(v, 5, what, 'Value.simple_value'));
    }
    if (value !== undefined) scalars.push({ tag, value });
  }
  return scalars;
}

/** Reads an Event message; `what` names it in errors. */
export function decodeEvent(bytes: Uint8Array, what: string): TfEvent {
  const event: TfEvent = { wallTime: 0, step: 0 };
  for (const f of readFields(bytes, what)) {
    if (f.field === 1) event.wallTime = asDouble(payload(f, 1, what, 'Event.wall_time'));
    else if (f.field === 2) event.step = varint(f, what, 'Event.step');
    else if (f.field === 3) event.fileVersion = asString(payload(f, 2, what, 'Event.file_version'), what);
    else if (f.field === 5) event.scalars = decodeScalars(payload(f, 2, what, 'Event.summary'), what);
  }
  return event;
}

/** Every event of an event file's bytes (framing and CRCs checked); `file` names it in errors. */
export function decodeEventFile(bytes: Uint8Array, file: string): TfEvent[] {
  return decodeRecords(bytes, file).map((record, i) => decodeEvent(record, `${file}: record ${i}`));
}
