// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 length | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data
// all little-endian.

import { ArgumentError } from '../errors.js';
import { maskedCrc32c } from './crc32c.js';

const HEADER = 12;
const FOOTER = 4;

/** One record holding data. */
export function encodeRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + data.length + FOOTER);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, HEADER);
  view.setUint32(HEADER + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * The data of every record in bytes, checked: a record cut short or a CRC that does not match is
 * an ArgumentError naming `file`, the record (from 0) and its byte offset.
 */
export function decodeRecords(bytes: Uint8Array, file: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const where = `${file}: record ${records.length} (byte ${at})`;
    if (at + HEADER > bytes.length) throw new ArgumentError(`${where}: the file ends inside the record's ${HEADER}-byte header`);
    if (view.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8))) {
      throw new ArgumentError(`${where}: the length's CRC does not match (not a TFRecord file, or a corrupted one)`);
    }
    const length = view.getBigUint64(at, true);
    const end = BigInt(at + HEADER) + length + BigInt(FOOTER);
    if (end > BigInt(bytes.length)) throw new ArgumentError(`${where}: the record's ${length} bytes of data run past the end of the file`);
    const data = bytes.subarray(at + HEADER, at + HEADER + Number(length));
    if (view.getUint32(at + HEADER + data.length, true) !== maskedCrc32c(data)) {
      throw new ArgumentError(`${where}: the data's CRC does not match (a corrupted record)`);
    }
    records.push(data);
    at = Number(end);
  }
  return records;
}
