import { type FileHandle, open, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

// The built renderer: files under staticDir, and index.html for any path without an extension
// (the UI is one page). Nothing outside staticDir is ever read.

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export type StaticFile = { path: string; contentType: string; size: number };

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** The file a URL path names under root, or null (missing, a directory, or outside root). */
export async function resolveStatic(root: string, urlPath: string): Promise<StaticFile | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = resolve(root);
  const wanted = resolve(base, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  if (wanted !== base && !wanted.startsWith(base + sep)) return null;
  const file = await regularFile(wanted);
  if (file) return file;
  if (extname(decoded) === '') return regularFile(resolve(base, 'index.html'));
  return null;
}

async function regularFile(path: string): Promise<StaticFile | null> {
  try {
    const info = await stat(path);
    return info.isFile() ? { path, contentType: contentType(path), size: info.size } : null;
  } catch {
    return null;
  }
}

/**
 * The file opened for sending, or null when it went away since it was resolved (the UI being
 * rebuilt while served): its size is the open file's, so the headers and the bytes agree.
 */
export async function openStatic(
  file: StaticFile,
): Promise<{ handle: FileHandle; size: number } | null> {
  let handle: FileHandle;
  try {
    handle = await open(file.path, 'r');
  } catch (error) {
    if (['ENOENT', 'ENOTDIR', 'EISDIR'].includes((error as NodeJS.ErrnoException).code ?? ''))
      return null;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (info.isFile()) return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
  await handle.close();
  return null;
}
