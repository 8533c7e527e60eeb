// The demo page: <now-playing> and <now-playing-history> imported as ES modules (the bundler path),
// pointed at the relay that demo/start.ts started, an <audio> playing the fake station's stream, plus
// controls that drive the fake station's control API.
import '@now-playing/element';
import '@now-playing/element/history';
import type { NowPlayingElement } from '@now-playing/element';

const relay = import.meta.env.VITE_RELAY_URL ?? 'http://localhost:8080';
const fake = import.meta.env.VITE_FAKE_URL ?? 'http://localhost:8000';
const ws = `${relay.replace(/^http/, 'ws')}/ws`;

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
for (const el of document.querySelectorAll<HTMLElement & { src?: string }>('now-playing, now-playing-history')) el.src = ws;
// The fake station streams silence (MP3) at its mount's URL, as Icecast streams the mount.
$<HTMLAudioElement>('#radio').src = `${fake}/live`;

const main = $<NowPlayingElement>('#main');
main.addEventListener('now-playing-status', (event) => {
  const { status } = (event as CustomEvent<{ status: string }>).detail;
  $('#status').textContent = status;
  document.body.dataset.status = status;
});
const showDetails = () => {
  const state = main.nowPlaying;
  $('#listeners').textContent = state?.listeners === undefined ? '–' : String(state.listeners);
  $('#since').textContent = state?.startedAt ? new Date(state.startedAt).toLocaleTimeString() : '–';
  // Text only: metadata never becomes markup.
  $('#upcoming').textContent = synced.upcoming?.track?.text ?? 'nothing';
};
const synced = $<NowPlayingElement>('#synced');
main.addEventListener('now-playing-change', showDetails);
synced.addEventListener('now-playing-change', (event) => {
  const { delay } = event.detail;
  $('#waited').textContent = delay ? `${(delay / 1000).toFixed(1)} s` : 'nothing (shown at once)';
  showDetails();
});
setInterval(showDetails, 1000); // listener counts change without a track change

async function control(method: string, path: string, body?: unknown): Promise<void> {
  await fetch(`${fake}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

$('#title-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void control('PUT', '/control/mounts/live', { title: $<HTMLInputElement>('#title').value });
});
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-title]')) {
  button.addEventListener('click', () => void control('PUT', '/control/mounts/live', { title: button.dataset.title }));
}
$('[data-listeners]').addEventListener('click', () =>
  void control('PUT', '/control/mounts/live', { listeners: (main.nowPlaying?.listeners ?? 0) + 1 }),
);
$('#add-second').addEventListener('click', async () => {
  await control('PUT', '/control/mounts/second', { title: 'Second Stream - Night Shift', serverName: 'Radio Example 2' });
  $('#second-box').hidden = false;
});
$('#remove-second').addEventListener('click', () => void control('DELETE', '/control/mounts/second'));
$('#down').addEventListener('click', () => void control('PUT', '/control/fault', { kind: 'http-error', status: 500 }));
$('#up').addEventListener('click', () => void control('DELETE', '/control/fault'));

$('#snippet').textContent = `<script type="module" src="${relay}/now-playing.js"></script>
<now-playing station="live">Radio Example</now-playing>

<!-- Titles in step with your player, and the last tracks: -->
<script type="module" src="${relay}/now-playing-history.js"></script>
<audio id="radio" src="https://stream.example.com/live" controls preload="none"></audio>
<now-playing station="live" player="radio">Radio Example</now-playing>
<now-playing-history station="live" limit="5">Nothing played yet</now-playing-history>`;
$<HTMLAnchorElement>('#script-tag-link').href = `./script-tag.html?relay=${encodeURIComponent(relay)}`;
