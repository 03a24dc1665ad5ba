/** The distribution's packages that scripts/fetch-onednn.mjs unpacks. */
export const ONEDNN_PACKAGES: readonly string[];
/** oneDNN's main header below a prefix. */
export function onednnHeader(prefix: string): string;
/** The version in a oneDNN prefix's dnnl_version.h. */
export function onednnVersion(prefix: string): { major: number; text: string };
/** Makes <packageRoot>/.deps/onednn/usr a oneDNN prefix: { root, version }, or { cause } saying why not. */
export function fetchOnednn(
  packageRoot: string,
  options?: { say?: (line: string) => void; env?: Record<string, string | undefined>; isRoot?: boolean },
): { root: string; version: string; cause?: undefined } | { cause: string; root?: undefined; version?: undefined };
