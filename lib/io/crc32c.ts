// CRC-32C (Castagnoli, the checksum of iSCSI, ext4 and TFRecord files) and TFRecord's "masked"
// form of it. Table-driven, one byte at a time: log files are small, so no SSE4.2 path.

/** The reflected Castagnoli polynomial 0x1EDC6F41. */
const POLY = 0x82f63b78;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32C of bytes, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * TFRecord's masked CRC: rotated right by 15 bits plus a constant, so a CRC stored inside data
 * that is itself checksummed does not make the outer CRC degenerate.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}
