// The smallest useful Lit element: the floor any Lit-based embed pays. bench/size.ts builds it the
// same way as <now-playing> so the report shows what our own code adds on top of Lit.
import { LitElement, html } from 'lit';

class BaselineElement extends LitElement {
  static override properties = { text: {} };
  text = '';
  override render() {
    return html`<span>${this.text}</span>`;
  }
}
customElements.define('baseline-element', BaselineElement);
