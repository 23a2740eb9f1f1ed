import { createMemo, For, Match, Switch, type JSX } from "solid-js";
import { type Block, parseBlocks } from "../state/markup/blocks.ts";
import type { Inline, MentionLookup } from "../state/markup/inline.ts";

/**
 * A message's text with its links and formatting. Every node is made by Solid from the parsed tree
 * (text nodes and a fixed set of tags); nothing is ever assigned as HTML, and a link's href is only
 * ever an http(s) URL the parser accepted.
 */
export function RichText(props: { text: string; mentionOf?: MentionLookup; me?: string }): JSX.Element {
  const blocks = createMemo(() => parseBlocks(props.text, props.mentionOf));
  return <For each={blocks()}>{(b) => <BlockView block={b} me={props.me} />}</For>;
}

function BlockView(props: { block: Block; me?: string }): JSX.Element {
  const b = props.block;
  switch (b.t) {
    case "para":
      return <p class="md-p"><Inlines nodes={b.inline} me={props.me} /></p>;
    case "code":
      return <pre class="md-pre"><code>{b.text}</code></pre>;
    case "quote":
      return <blockquote class="md-quote"><For each={b.blocks}>{(c) => <BlockView block={c} me={props.me} />}</For></blockquote>;
    case "list": {
      const items = <For each={b.items}>{(item) => <li><Inlines nodes={item} me={props.me} /></li>}</For>;
      return b.ordered ? <ol class="md-list" start={b.start}>{items}</ol> : <ul class="md-list">{items}</ul>;
    }
  }
}

function Inlines(props: { nodes: Inline[]; me?: string }): JSX.Element {
  return (
    <For each={props.nodes}>
      {(n) => (
        <Switch>
          <Match when={n.t === "text" && n}>{(x) => x().text}</Match>
          <Match when={n.t === "code" && n}>{(x) => <code class="md-code">{x().text}</code>}</Match>
          <Match when={n.t === "link" && n}>
            {(x) => (
              <a href={x().href} rel="noopener noreferrer" target="_blank" data-testid="message-link">
                {x().text}
              </a>
            )}
          </Match>
          <Match when={n.t === "mention" && n}>
            {(x) => (
              <span class="mention" classList={{ "mention-me": x().userId === props.me || x().userId === "@all" || x().userId === "@here" }} data-testid="mention" data-user-id={x().userId}>
                {x().text}
              </span>
            )}
          </Match>
          <Match when={n.t === "bold" && n}>{(x) => <strong><Inlines nodes={x().children} me={props.me} /></strong>}</Match>
          <Match when={n.t === "italic" && n}>{(x) => <em><Inlines nodes={x().children} me={props.me} /></em>}</Match>
          <Match when={n.t === "strike" && n}>{(x) => <s><Inlines nodes={x().children} me={props.me} /></s>}</Match>
        </Switch>
      )}
    </For>
  );
}
