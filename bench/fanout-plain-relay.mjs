/**
 * The baseline of `bench/fanout.ts`: the plain relay anyone would write first. node:http + `ws`
 * (compression off, as in our relay), one upstream polled every interval, and on a title change a
 * `send()` loop over `wss.clients` with `JSON.stringify` per send. The message is the protocol-v1
 * patch (history as an array, re-sent whole), so its size is the "before" of the patch-size work.
 * Plain JavaScript, run by plain node, like the built relay it is compared with.
 *
 * Usage: node bench/fanout-plain-relay.mjs <port> <upstream base URL> <poll interval ms>
 */
import { createServer, get } from 'node:http';
import { diff } from '@now-playing/protocol';
import { WebSocketServer } from 'ws';

const [port, upstream, interval] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4])];
const HISTORY = 10;

let seq = 1;
let state = { station: { id: 'live' }, online: true, stale: false, history: [] };

const server = createServer((req, res) => {
  if (req.url !== '/healthz') return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', clients: wss.clients.size }));
});
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.send(JSON.stringify({ type: 'snapshot', v: 1, station: 'live', seq, heartbeat: 15000, data: state }));
});

function changed(title) {
  const [artist, ...rest] = title.split(' - ');
  const next = { ...state, track: { text: title, artist, title: rest.join(' - ') }, startedAt: new Date().toISOString() };
  if (state.track) next.history = [{ ...state.track, startedAt: state.startedAt }, ...state.history].slice(0, HISTORY);
  const message = { type: 'patch', station: 'live', seq: ++seq, patch: diff(state, next) };
  state = next;
  for (const ws of wss.clients) ws.send(JSON.stringify(message));
}

function poll() {
  const started = Date.now();
  const again = () => setTimeout(poll, Math.max(0, interval - (Date.now() - started)));
  get(`${upstream}/status-json.xsl`, (res) => {
    const chunks = [];
    res.on('data', (chunk) => chunks.push(chunk));
    res.on('end', () => {
      try {
        const sources = [JSON.parse(Buffer.concat(chunks).toString()).icestats.source ?? []].flat();
        const live = sources.find((s) => String(s.listenurl).endsWith('/live'));
        if (live && String(live.title) !== state.track?.text) changed(String(live.title));
      } catch {
        // a bad answer: try again next interval
      }
      again();
    });
  }).on('error', again);
}

server.listen(port, '127.0.0.1', poll);
process.on('SIGTERM', () => process.exit(0));
