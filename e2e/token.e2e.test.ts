// The server's one gate, end to end: the page and the WebSocket refuse a wrong token (and no
// token), while the URL it prints opens the UI in Chromium, whose socket then works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startHarness } from './harness';
import { GraphPage } from './pages/GraphPage';

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  base = `http://127.0.0.1:${h.server.port}`;
});
afterAll(async () => {
  await h?.close();
});

/** Opens a WebSocket to the server and says how the handshake ended. */
function handshake(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Origin: base, ...headers } });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(`refused ${res.statusCode}`);
      ws.terminate();
    });
    ws.once('error', (e) => resolve(`error ${e.message}`));
  });
}

describe('the token of the URL is the only way in', () => {
  it('a wrong token gets 401 for the page, in the browser too', async () => {
    const wrong = `${base}/?token=${'0'.repeat(h.server.token.length)}`;
    const response = await h.page.goto(wrong);
    expect(response?.status()).toBe(401);
    expect(await h.page.getByTestId('guest-node').count()).toBe(0);
    await h.shot('10-wrong-token-refused');
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/assets/`)).status).toBe(401);
  });

  it('the WebSocket refuses a wrong token and no token', async () => {
    expect(await handshake(`${base.replace('http', 'ws')}/ws?token=wrong`)).toBe('refused 401');
    expect(await handshake(`${base.replace('http', 'ws')}/ws`)).toBe('refused 401');
    // The same handshake with the right token opens: the refusals above are the token's doing.
    expect(await handshake(`${base.replace('http', 'ws')}/ws?token=${h.server.token}`)).toBe(
      'open',
    );
  });

  it('the printed URL opens the UI, connected to the lab', async () => {
    const graph = new GraphPage(h.page);
    await graph.open(
      h.server.url,
      h.lab.guests.map((g) => g.name),
    );
    expect(new URL(h.page.url()).searchParams.has('token')).toBe(false); // traded for a cookie
  });
});
