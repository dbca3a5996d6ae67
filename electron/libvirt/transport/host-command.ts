// A command on the host at the other end of a libvirt connection, for what libvirt's API does
// not give (the ebtables counters of the rules it instantiated). Over ssh it is an exec channel
// on the same ssh2 connection as libvirt's stream (no second login); the dialer attaches it to
// the stream it returns and the client carries it on. The unix socket has none: the engine runs
// local commands itself.
import type { Client } from 'ssh2';

export interface CommandResult {
  /** null when it was ended by a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export type HostCommand = (command: string, timeoutMs: number) => Promise<CommandResult>;

const commands = new WeakMap<object, HostCommand>();

export function attachHostCommand(carrier: object, run: HostCommand): void {
  commands.set(carrier, run);
}

/** The command runner attached to a stream or client, if its transport has one. */
export function hostCommandOf(carrier: object | null | undefined): HostCommand | undefined {
  return carrier ? commands.get(carrier) : undefined;
}

/** Moves the runner from the dialed stream to the client opened over it. */
export function carryHostCommand(from: object, to: object): void {
  const run = commands.get(from);
  if (run) commands.set(to, run);
}

const MAX_OUTPUT = 4 * 1024 * 1024;

/** Runs a command in a new exec channel of an authenticated ssh2 client. */
export function sshHostCommand(client: Client): HostCommand {
  return (command, timeoutMs) =>
    new Promise((resolve, reject) => {
      client.exec(command, (err, ch) => {
        if (err) {
          reject(err);
          return;
        }
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        const timer = setTimeout(() => {
          ch.close();
          reject(new Error(`${command}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        ch.on('data', (chunk: Buffer) => {
          if (stdout.length < MAX_OUTPUT) stdout += chunk.toString('utf8');
        });
        ch.stderr.on('data', (chunk: Buffer) => {
          if (stderr.length < MAX_OUTPUT) stderr += chunk.toString('utf8');
        });
        ch.on('exit', (c: number | null) => {
          code = c;
        });
        ch.on('close', () => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    });
}
