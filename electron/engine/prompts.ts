// Questions the engine asks the user through the UI (or the CLI's terminal): trust an unknown
// host key, type a key's passphrase. Each is an event with an id; the answer comes back as a
// call. Unanswered prompts time out as a refusal, so a connection never waits forever.
import { randomUUID } from 'node:crypto';
import type { ChaosEvent, HostKeyPrompt, PassphrasePrompt, PromptId } from '../../shared/api';

const PROMPT_TIMEOUT_MS = 5 * 60_000;

type Pending = { resolve: (answer: unknown) => void; timer: NodeJS.Timeout };

export class Prompts {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly emit: (e: ChaosEvent) => void) {}

  hostKey(p: Omit<HostKeyPrompt, 'promptId'>): Promise<boolean> {
    return this.ask<boolean>(false, (promptId) => ({
      type: 'hostKey.prompt',
      prompt: { ...p, promptId },
    }));
  }

  passphrase(p: Omit<PassphrasePrompt, 'promptId'>): Promise<string | null> {
    return this.ask<string | null>(null, (promptId) => ({
      type: 'passphrase.prompt',
      prompt: { ...p, promptId },
    }));
  }

  /** Resolves a prompt; false when it is not pending (answered elsewhere, or timed out). */
  answer(promptId: PromptId, value: unknown): boolean {
    const p = this.pending.get(promptId);
    if (!p) return false;
    this.close(promptId, 'answered');
    p.resolve(value);
    return true;
  }

  cancelAll(): void {
    for (const [id, p] of this.pending) {
      this.close(id, 'cancelled');
      p.resolve(null);
    }
  }

  private ask<T>(onTimeout: T, event: (id: PromptId) => ChaosEvent): Promise<T> {
    const promptId = randomUUID() as PromptId;
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        this.close(promptId, 'timeout');
        resolve(onTimeout);
      }, PROMPT_TIMEOUT_MS);
      this.pending.set(promptId, { resolve: resolve as (a: unknown) => void, timer });
      this.emit(event(promptId));
    });
  }

  private close(promptId: string, reason: 'answered' | 'timeout' | 'cancelled') {
    const p = this.pending.get(promptId);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(promptId);
    this.emit({ type: 'prompt.closed', promptId: promptId as PromptId, reason });
  }
}
