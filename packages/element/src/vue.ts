/**
 * `@now-playing/element/vue`: everything `@now-playing/element` exports (importing it registers
 * `<now-playing>`), plus `<now-playing>` in Vue's `GlobalComponents`, so `vue-tsc` and the Vue
 * language tools check its props and events in templates. Opt-in: only a project that imports this
 * entry sees it. Vue's compiler must still be told the tag is a custom element
 * (`compilerOptions.isCustomElement`).
 *
 * ```vue
 * <now-playing src="wss://relay.example/ws" station="live" @now-playing-status="(e) => e.detail.status" />
 * ```
 */
import type { EmitFn, HTMLAttributes, PublicProps } from 'vue';
import type { NowPlayingChangeDetail, NowPlayingElement, NowPlayingStatusDetail } from './now-playing.js';

export * from './index.js';

/** The element's events, by name. */
export interface NowPlayingEvents {
  'now-playing-change': CustomEvent<NowPlayingChangeDetail>;
  'now-playing-status': CustomEvent<NowPlayingStatusDetail>;
}

/**
 * What a template may set. Vue sets a prop as a property when the element has one, so the marquee
 * mode is `scrollMode` (a `scroll` prop would overwrite `Element.scroll()`).
 */
export type NowPlayingVueProps = Partial<Pick<NowPlayingElement, 'src' | 'station' | 'format' | 'scrollMode' | 'speed'>>;

/**
 * A custom element as Vue's template checker sees a component (the shape Vue's guide gives for custom
 * elements not built with Vue). `$props` and `$emit` exist for the checker only, not on the element.
 */
export type NowPlayingVueComponent = new () => NowPlayingElement & {
  /** @deprecated For template type checking only: not a property of the element. */
  $props: HTMLAttributes & NowPlayingVueProps & PublicProps;
  /** @deprecated For template type checking only: not a property of the element. */
  $emit: EmitFn<{ [K in keyof NowPlayingEvents]: (event: NowPlayingEvents[K]) => void }>;
};

declare module 'vue' {
  interface GlobalComponents {
    'now-playing': NowPlayingVueComponent;
  }
}
