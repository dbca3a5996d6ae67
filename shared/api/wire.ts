import { z } from 'zod';
import { type CallName, calls, isCallName } from './calls';
import type { ChaosApi, ChaosEventListener, Unsubscribe } from './chaos-api';
import { ChaosEvent } from './events';
import { ApiError } from './model';
import { fail, type Result, ResultSchema } from './result';

// One invoke wrapper per side, the same for Electron IPC and the WebSocket: the host side checks
// what comes in and what the engine gives back; the client side rebuilds a ChaosApi from a bare
// `invoke` and checks what it receives.

/** Electron IPC channels: `chaos:<call>` for calls, one channel for events. */
export const IPC_EVENT_CHANNEL = 'chaos:event';
export function ipcChannel(name: CallName): `chaos:${CallName}` {
  return `chaos:${name}`;
}

/** What a client sends over the WebSocket. */
export const ClientMessage = z.strictObject({
  kind: z.literal('call'),
  id: z.number().int().nonnegative(),
  name: z.string().max(100),
  params: z.unknown(),
});
export type ClientMessage = z.infer<typeof ClientMessage>;

const AnyResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiError }),
]);

/** What the server sends: the answer to one call, or an event. */
export const ServerMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('result'), id: z.number().int().nonnegative(), result: AnyResult }),
  z.object({ kind: z.literal('event'), event: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

type Issue = z.core.$ZodIssue;

/** A union's own message ("Invalid input") says nothing: report the branch that got furthest. */
function specificIssues(issue: Issue, prefix: PropertyKey[]): Issue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }];
  const depth = (branch: Issue[]) => Math.max(...branch.map((i) => i.path.length));
  const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  return best.flatMap((inner) => specificIssues(inner, path));
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .flatMap((issue) => specificIssues(issue, []))
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * The host side of one call: validate the name and the params against the contract, run the
 * engine's method, and make sure what goes back is inside the contract too. Never throws.
 */
export async function dispatchCall(
  api: ChaosApi,
  name: unknown,
  params: unknown,
): Promise<Result<unknown>> {
  if (!isCallName(name)) return fail('unknown-call', `There is no call named ${String(name)}.`);
  const parsed = calls[name].params.safeParse(params);
  if (!parsed.success) {
    return fail('invalid-request', `${name}: ${describeIssues(parsed.error)}`);
  }
  let answer: unknown;
  try {
    const method = api[name] as (p: unknown) => Promise<Result<unknown>>;
    answer = await method.call(api, parsed.data);
  } catch (error) {
    return fail('internal', `${name} threw: ${error instanceof Error ? error.message : error}`);
  }
  const checked = ResultSchema(calls[name].value).safeParse(answer);
  if (!checked.success) {
    return fail(
      'internal',
      `The engine answered ${name} outside the contract: ${describeIssues(checked.error)}`,
      'This is a bug in kvm-chaos; the activity log and the engine output have details.',
    );
  }
  return checked.data as Result<unknown>;
}

/** The host side of one event: null when the engine emitted something outside the contract. */
export function checkEvent(event: unknown): ChaosEvent | null {
  const checked = ChaosEvent.safeParse(event);
  return checked.success ? checked.data : null;
}

export type Invoke = (name: CallName, params: unknown) => Promise<Result<unknown>>;

/**
 * The client side: a ChaosApi over a bare invoke (ipcRenderer.invoke, a WebSocket request)
 * and an event source. Answers that do not match the contract become errors, never data.
 */
export function createRemoteApi(
  invoke: Invoke,
  subscribe: (listener: ChaosEventListener) => Unsubscribe,
): ChaosApi {
  const api: Record<string, unknown> = { subscribe };
  for (const name of Object.keys(calls) as CallName[]) {
    api[name] = async (params: unknown): Promise<Result<unknown>> => {
      let answer: Result<unknown>;
      try {
        answer = await invoke(name, params);
      } catch (error) {
        return fail(
          'transport-closed',
          `${name} did not reach the engine: ${error instanceof Error ? error.message : error}`,
        );
      }
      const checked = ResultSchema(calls[name].value).safeParse(answer);
      if (!checked.success) {
        return fail(
          'internal',
          `The answer to ${name} is outside the contract: ${describeIssues(checked.error)}`,
          'The UI and the engine may be different versions: reload the page.',
        );
      }
      return checked.data as Result<unknown>;
    };
  }
  return api as unknown as ChaosApi;
}
