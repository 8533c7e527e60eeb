// The /react entry registers <now-playing> and adds it to React's JSX types: props, ref and events
// are checked by `tsc`.
import '@now-playing/element/react';
import type { ConnectionStatus, NowPlayingElement } from '@now-playing/element';
import { useRef, useState } from 'react';

export function OnAir({ relay, station }: { relay: string; station: string }) {
  const ref = useRef<NowPlayingElement>(null);
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
  const [listeners, setListeners] = useState<number | undefined>();
  return (
    <p className={`on-air ${status}`}>
      <now-playing
        ref={ref}
        src={relay}
        station={station}
        format="{artist} – {title}"
        scrollMode="auto"
        speed={40}
        // React 19 adds these as listeners for the element's events, typed by the /react entry.
        onnow-playing-status={(event) => setStatus(event.detail.status)}
        onnow-playing-change={(event) => setListeners(event.detail.nowPlaying?.listeners)}
      >
        Radio Example
      </now-playing>
      {listeners !== undefined && <small> {listeners} listening</small>}
    </p>
  );
}
