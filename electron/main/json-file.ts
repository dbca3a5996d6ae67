import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';

// The app's small JSON files in its data folder (host profiles, settings): read and checked
// against a schema, written whole and atomically so a crash never leaves half a file.

export type JsonFileProblem = { path: string; message: string; movedTo: string };

/**
 * The file's content, `fallback` when it does not exist yet. A file that is not valid JSON or
 * not the expected shape is moved aside (never overwritten silently) and reported.
 */
export async function readJsonFile<T>(
  path: string,
  schema: z.ZodType<T>,
  fallback: T,
  onProblem: (problem: JsonFileProblem) => void,
): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw error;
  }
  let message: string;
  try {
    const checked = schema.safeParse(JSON.parse(text));
    if (checked.success) return checked.data;
    message = checked.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
  } catch (error) {
    message = error instanceof Error ? error.message : String(error);
  }
  const movedTo = `${path}.invalid-${Date.now()}`;
  await rename(path, movedTo);
  onProblem({ path, message, movedTo });
  return fallback;
}

/** Writes to a temporary file beside it, then renames: readers see the old or the new file. */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
