// The /vue entry registers <now-playing> and adds it to Vue's GlobalComponents: `vue-tsc` checks its
// props and events in every template.
import '@now-playing/element/vue';
import { createApp } from 'vue';
import App from './App.vue';

createApp(App).mount('#app');
