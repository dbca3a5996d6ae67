// How long a one-shot command may take, and what it waits for at each moment: every step has a
// deadline of its own within the command's (--timeout), and when one passes, the message names
// the host and the step in plain words. A dropped connection ends the command at once: one-shot
// commands never reconnect (only `serve` does, with backoff).

/** The host did not answer in time, or the connection dropped: exit 3. */
export class StallError extends Error {}

/** Defaults of --timeout: commands that only read, and commands that change a host. */
export const DEFAULT_TIMEOUT_SECONDS = { read: 30, change: 120 } as const;

/** Each step's own bound (still within the command's): the ssh handshake alone gives up at 15 s. */
export const STEP_SECONDS = { connect: 25, read: 20 } as const;

export class Deadline {
  private readonly endsAt: number;
  private abort: (error: StallError) => void = () => {};
  private readonly aborted: Promise<never>;

  constructor(
    readonly seconds: number,
    /** The host as the user named it, without credentials. */
    readonly host: string,
  ) {
    this.endsAt = Date.now() + seconds * 1000;
    this.aborted = new Promise<never>((_, reject) => {
      this.abort = reject;
    });
    this.aborted.catch(() => {}); // observed by the steps that race it
  }

  /** Ends whatever step runs now with this error (e.g. the connection dropped). */
  fail(error: StallError): void {
    this.abort(error);
  }

  /**
   * Waits for one step of the command; `what` completes "waiting for ...". Rejects with a
   * StallError when the step takes longer than `stepSeconds` or the command's deadline.
   */
  async step<T>(what: string, work: Promise<T>, stepSeconds?: number): Promise<T> {
    const left = Math.max(0, (this.endsAt - Date.now()) / 1000);
    const own = stepSeconds !== undefined && stepSeconds < left;
    const limit = own ? stepSeconds : left;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StallError(
              `${this.host} did not answer within ${round(limit)} s while waiting for ${what}` +
                (own ? '' : ` (the command's --timeout of ${round(this.seconds)} s)`) +
                '\n  check that the host is up and that sshd and libvirtd run and are not stuck;' +
                ' --timeout SECONDS waits longer',
            ),
          ),
        limit * 1000,
      );
    });
    try {
      return await Promise.race([work, late, this.aborted]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
