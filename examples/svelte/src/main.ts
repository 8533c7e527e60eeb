// The /svelte entry registers <now-playing> and adds it to Svelte's element map: `svelte-check` checks
// its attributes, properties and events.
import '@now-playing/element/svelte';
import { mount } from 'svelte';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
