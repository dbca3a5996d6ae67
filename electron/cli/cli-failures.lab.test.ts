// The `kvm-chaos` command when things go wrong on the real lab: a stopped libvirtd (SIGSTOP on
// the pid of /run/libvirtd.pid, always continued), an ssh port that never answers, libvirtd
// restarted under a one-shot command, and input a script might get wrong. Each must end with
// the documented exit code, in bounded time, with a message naming the host.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLibvirt, stopLibvirtd } from '../../lab/host';
import { fullyConnected, type LabState, readLabState, waitForMatrix } from '../../lab/lab-client';
import { ourFilters } from '../engine/lab-support';

let lab: LabState;
const HOST = 'root@127.0.0.1:2222';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

function cli(args: string[], opts: { uri?: string; onStderr?: (s: string) => void } = {}) {
  return new Promise<Run>((resolve) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      ['bin/kvm-chaos.js', '-c', opts.uri ?? lab.sshUri, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b;
      opts.onStderr?.(stderr);
    });
    child.on('exit', (code) =>
      resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

const labQuery = () =>
  new URLSearchParams({ keyfile: lab.ssh.key, known_hosts: lab.ssh.knownHosts }).toString();

beforeAll(async () => {
  lab = await readLabState();
  await waitForMatrix(fullyConnected, { timeoutMs: 60_000, state: lab, what: 'a connected lab' });
});
afterAll(async () => {
  await cli(['heal', '--all']);
});

describe('a host that stops answering', () => {
  it('stopped libvirtd (SIGSTOP): exit 3 within the deadline, saying which host and what for', async () => {
    const pid = Number((await readFile('/run/libvirtd.pid', 'utf8')).trim());
    expect(Number.isInteger(pid) && pid > 1).toBe(true);
    process.kill(pid, 'SIGSTOP');
    let r: Run;
    try {
      r = await cli(['guests']);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    console.log(`stopped libvirtd: exit ${r.code} after ${r.seconds.toFixed(1)} s: ${r.stderr}`);
    expect(r.code).toBe(3);
    expect(r.seconds).toBeLessThan(32);
    expect(r.stderr).toContain(
      `${HOST} did not answer within 25 s while waiting for the connection`,
    );
    expect(r.stderr).not.toContain('no reply within');
    // ... and a shorter --timeout is honoured.
    process.kill(pid, 'SIGSTOP');
    try {
      r = await cli(['--timeout', '5', 'cuts']);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(r.code).toBe(3);
    expect(r.seconds).toBeLessThan(10);
    expect(r.stderr).toContain("(the command's --timeout of 5 s)");
  });

  it('an ssh port that accepts and never speaks: exit 3 within 15 s of handshake', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const r = await cli(['guests'], {
        uri: `qemu+ssh://root@127.0.0.1:${port}/system?${labQuery()}`,
      });
      console.log(`silent ssh port: exit ${r.code} after ${r.seconds.toFixed(1)} s: ${r.stderr}`);
      expect(r.code).toBe(3);
      expect(r.seconds).toBeLessThan(20);
      expect(r.stderr).toContain(`root@127.0.0.1:${port}: no ssh handshake within 15 s`);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('libvirtd restarted under a one-shot command: exit 3 at once, no reconnecting', async () => {
    let restarted: Promise<void> | undefined;
    const r = await cli(['cut', 'lab-node1', 'lab-node2', '--duration', '60'], {
      onStderr: (s) => {
        if (!restarted && s.includes('waiting 60 s'))
          restarted = (async () => {
            await stopLibvirtd();
            await startLibvirt();
          })();
      },
    });
    await restarted;
    console.log(`libvirtd restarted: exit ${r.code} after ${r.seconds.toFixed(1)} s: ${r.stderr}`);
    expect(r.code).toBe(3);
    expect(r.seconds).toBeLessThan(30);
    expect(r.stderr).toContain(`the connection to ${HOST} dropped`);
    expect(r.stderr).toContain('a one-shot command does not reconnect');
    const healed = await cli(['heal', '--all']);
    expect(healed.code, healed.stderr).toBe(0);
    expect(await ourFilters()).toEqual([]);
  });
});

describe('input a script gets wrong: exit 2, nothing changed, nothing leaked', () => {
  it.each([
    [['partition', 'halves', 'lab-node1'], 'partition.guestIds'],
    [['partition', 'isolate', 'lab-node1', '--duration', '0x10'], "'0x10' is not a duration"],
    [['cut', 'lab-node1', 'lab-node2', '--scope', 'udp', '--port', 'abc'], "'abc' is not a port"],
    [['--timeout', '1e3', 'guests'], "'1e3' is not valid"],
  ])('%j', async (args, words) => {
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(words);
    expect(await ourFilters()).toEqual([]);
  });

  it('-c file:///etc/passwd', async () => {
    const r = await cli(['guests'], { uri: 'file:///etc/passwd' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("'file' is not a libvirt driver");
  });

  it('a password in the URI is refused and never printed', async () => {
    const r = await cli(['--json', 'cuts'], {
      uri: `ssh://root:hunter2@127.0.0.1:2222?${labQuery()}`,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('password');
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});
