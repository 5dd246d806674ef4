/** Loopback HTTP helpers for the tests that talk to published ports. */
import http from 'node:http';
import net from 'node:net';

/** GET http://127.0.0.1:PORT/PATH on a fresh connection; the trimmed body of a 200, else an error. */
export function getBody(port: number, path = '/', timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(b.trim()) : reject(new Error(`status ${res.statusCode}`))));
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', reject);
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
