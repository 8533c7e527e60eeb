import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { OnAir } from './OnAir.js';

// Your relay's WebSocket endpoint; `VITE_RELAY_URL=ws://localhost:8080/ws pnpm dev` for a local relay.
const relay = import.meta.env.VITE_RELAY_URL ?? 'wss://relay.example.com/ws';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <OnAir relay={relay} station="live" />
  </StrictMode>,
);
