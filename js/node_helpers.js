// Small helpers the RIFLEx editor features share. No feature of its own: importing it changes nothing.

export const NODE_CLASS = "RIFLExRoPE";

export function isRIFLExNode(node) {
  return Boolean(node) && (node.comfyClass ?? node.constructor?.comfyClass ?? node.type) === NODE_CLASS;
}

export const DECAY_NODE_CLASS = "RIFLExAttentionDecay";

export function isDecayNode(node) {
  return Boolean(node) && (node.comfyClass ?? node.constructor?.comfyClass ?? node.type) === DECAY_NODE_CLASS;
}

// Run `callback` after whatever `object[property]` already did (LiteGraph callbacks are shared
// with the frontend and other packs: chain, never replace). Returns what the original returned.
export function chainCallback(object, property, callback) {
  const original = object[property];
  object[property] = function (...args) {
    const result = typeof original === "function" ? original.apply(this, args) : undefined;
    callback.apply(this, args);
    return result;
  };
}

export function findWidget(node, name) {
  return node.widgets?.find((widget) => widget.name === name);
}

// The canvas renderer reads widget.hidden, the Vue ("Nodes 2.0") renderer widget.options.hidden;
// the frontend's own extensions (previewAny) set both, and so does this.
export function setWidgetHidden(widget, hidden) {
  widget.hidden = hidden;
  if (widget.options) widget.options.hidden = hidden;
}

// The Vue ("Nodes 2.0") renderer re-reads widget options only when some reactive widget state of
// the node changes; `own` is a widget of ours that nothing saves or sends: touching its value
// (and putting it back) makes that renderer re-read the hidden flags just set.
export function refreshVueWidgets(app, own) {
  if (!own || !settingValue(app, "Comfy.VueNodes.Enabled", false)) return;
  const value = own.value;
  own.value = typeof value === "number" ? value + 1 : `${value} `;
  own.value = value;
}

// Height to fit the visible widgets: shrink when some were hidden, grow when some appeared.
export function fitHeight(node) {
  const height = node.computeSize()[1];
  if (Math.abs(node.size[1] - height) > 0.5) node.setSize([node.size[0], height]);
  node.setDirtyCanvas?.(true, true);
}

// The graph shown in the editor (a subgraph while one is open), or null before the app is up.
export function shownGraph(app) {
  return app.canvas?.graph ?? null;
}

export function riflexNodes(graph) {
  return (graph?.nodes ?? graph?._nodes ?? []).filter(isRIFLExNode);
}

export function settingValue(app, id, fallback) {
  const value = app.extensionManager?.setting?.get?.(id);
  return value === undefined || value === null ? fallback : value;
}
