// Never rendered: mistakes the /react typings catch (`pnpm check` fails if one stops being an error).
import '@now-playing/element/react';

export const mistakes = [
  // @ts-expect-error: not a scroll mode
  <now-playing scrollMode="sideways" />,
  // @ts-expect-error: the property is scrollMode; a `scroll` prop would overwrite Element.scroll()
  <now-playing scroll="never" />,
  // @ts-expect-error: speed is a number
  <now-playing speed="fast" />,
  // @ts-expect-error: the status event's detail has no `title`
  <now-playing onnow-playing-status={(event) => event.detail.title} />,
];
