// A TCP port free right now on a host, for a one-node launch without --master-port. Another
// process could take it before rank 0 listens (torchrun has the same race); the store then fails
// with "port taken", naming it.

import { createServer } from 'node:net';

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
