import { z } from 'zod';
import { ApiError, type ApiErrorCode } from './model';

// Errors cross IPC and the WebSocket as data: Electron would turn a thrown error into "Error
// invoking remote method", and a socket has no exceptions at all.

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export function ResultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: ApiError }),
  ]);
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: ApiErrorCode, message: string, hint?: string): Result<never> {
  return { ok: false, error: hint === undefined ? { code, message } : { code, message, hint } };
}

/** For callers that prefer exceptions (the CLI): the error is kept whole. */
export class ChaosApiError extends Error {
  override readonly name = 'ChaosApiError';
  constructor(readonly error: ApiError) {
    super(error.message);
  }
  get code(): ApiErrorCode {
    return this.error.code;
  }
}

export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ChaosApiError(result.error);
}
