/** Bundles each of `entries` (paths from the repository root) into `outdir`/<name>.mjs; returns the output paths. */
export function compileForNode(entries: string[], outdir: string): Promise<string[]>;
