/// <reference types="vite/client" />
interface ImportMetaEnv {
  readonly VITE_RELAY_URL?: string;
  readonly VITE_FAKE_URL?: string;
}
