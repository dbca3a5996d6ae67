// Pings from the lab's bridge address (192.168.77.1, the guests' gateway), for suites that judge a
// cut to the outside by the traffic it drops. Run inside the lab's network namespace, where that
// address is the bridge's own: the packets never leave the lab.
import { execFile } from 'node:child_process';
import { GATEWAY_IP } from './config';

/** Echo replies the gateway got from `ip` out of `count` requests, 0.2 s apart. */
export function pingsFromGateway(ip: string, count = 6): Promise<number> {
  const args = ['-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', '-I', GATEWAY_IP, ip];
  return new Promise((resolve, reject) =>
    // ping exits 1 when nothing answered: that is a result here, not a failure.
    execFile('ping', args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const m = /(\d+) received/.exec(stdout);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`ping ${ip}: ${err?.message ?? ''} ${stdout} ${stderr}`));
    }),
  );
}
