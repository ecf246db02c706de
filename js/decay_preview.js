// The RIFLEx Attention Decay node explains itself as RIFLEx RoPE does: a live line under its
// inputs for the length of the latent that feeds the sampler, e.g.
//   81 -> 333 frames (84 latent, 4.0x): window +/-10.5 latent frames, alpha 0.9 beyond; no
//   harmonic bands; first frame anchored to 21
// amber past 4x (beyond what the reference shows), red for settings the node refuses; `beta`
// hidden for a family whose RoPE has no harmonic bands (Wan). The family numbers come from
// decay_families.js, generated from riflex/. A RIFLEx RoPE on the same model (before or after
// this node) is taken into account, as the node does: the bands come from the RoPE it plans.
// The preview is never saved or sent; after a run, applied_text.js keeps what the node reported.
import { app } from "../../scripts/app.js";
import { DECAY_DEFAULTS, DECAY_FAMILIES } from "./decay_families.js";
import { decayPreview } from "./decay_math.js";
import { findLatentLength, findModelFile, MARGIN, previewElement, showPreviewLine } from "./length_preview.js";
import {
  chainCallback,
  findWidget,
  fitHeight,
  isDecayNode,
  NODE_CLASS,
  refreshVueWidgets,
  setWidgetHidden,
  settingValue,
  shownGraph,
} from "./node_helpers.js";
import { familyFromFileName } from "./riflex_math.js";

const SHOW = "RIFLEx.Preview.Show"; // the same setting as RIFLEx RoPE's preview (length_preview.js)
const TEXT = "riflex_decay_preview";
const SETTINGS = ["alpha", "window", "beta", "train_len", "anchor_first_frame"];
const ROPE_SETTINGS = ["method", "k", "s", "safety_factor", "yarn_alpha", "yarn_beta", "tasr_switch", "axes"];
const REFRESH_MS = 250;

const classOf = (node) => node?.comfyClass ?? node?.constructor?.comfyClass ?? node?.type;

// A RIFLEx RoPE on the same model path, upstream (towards the loader) or downstream (towards
// the sampler): the first one met either way.
function findRope(node) {
  const step = (current, up) => {
    if (up) {
      const slot = (current.inputs ?? []).findIndex((input) => input.type === "MODEL" && input.link != null);
      return slot >= 0 && current.graph ? current.getInputNode(slot) : null;
    }
    const slot = (current.outputs ?? []).findIndex((output) => output.type === "MODEL");
    return slot >= 0 && current.graph ? (current.getOutputNodes(slot) ?? [])[0] : null;
  };
  for (const up of [true, false]) {
    let current = node;
    for (let depth = 0; depth < 8; depth++) {
      current = step(current, up);
      if (!current) break;
      if (classOf(current) === NODE_CLASS) return current;
    }
  }
  return null;
}

function addPreviewWidget(node) {
  const { element, source, line } = previewElement("riflex-decay-preview");
  const parts = { element, source, line, height: 64 };
  parts.text = node.addDOMWidget(TEXT, "riflex_preview", element, {
    serialize: false,
    hideOnZoom: false,
    margin: MARGIN,
    getValue: () => line.textContent,
    setValue: () => {},
    getMinHeight: () => parts.height,
  });
  parts.text.serialize = false;
  return parts;
}

// What the node will do: {source, text, level, familyKey}
export function describeDecay(node) {
  const model = findModelFile(node);
  const familyKey = model ? familyFromFileName(model.fileName) : null;
  if (!familyKey || !(familyKey in DECAY_FAMILIES)) {
    const why = model ? `${model.fileName}` : "no model loader found upstream";
    return {
      level: "warn",
      source: why,
      text: "Attention decay supports Wan 2.1/2.2 (and S2V, HuMo, Animate) and HunyuanVideo 1.0/1.5: connect one of their loaders to see the preview.",
      familyKey: null,
    };
  }
  const family = DECAY_FAMILIES[familyKey];
  const length = findLatentLength(node);
  const limit = DECAY_DEFAULTS.referenceLimit;
  const frames = length ? Math.round(length.frames) : limit * (family.trainFrames - 1) + 1;
  const settings = {};
  for (const name of SETTINGS) {
    const widget = findWidget(node, name);
    if (widget) settings[name] = name === "anchor_first_frame" ? widget.value : Number(widget.value);
  }
  const rope = findRope(node);
  let ropeSettings = null;
  if (rope) {
    ropeSettings = {};
    for (const name of ROPE_SETTINGS) {
      const widget = findWidget(rope, name);
      if (widget) ropeSettings[name] = ["method", "axes"].includes(name) ? widget.value : Number(widget.value);
    }
  }
  const result = decayPreview(familyKey, frames, settings, ropeSettings);
  const lengthFrom = length ? `length from #${length.source.id} ${length.source.title || length.source.type}` : `no length found: ${limit}x the training length`;
  const ropeFrom = rope ? `; RoPE of #${rope.id} (${ropeSettings.method})` : "";
  return {
    level: result.level,
    source: `${family.label} (${model.fileName}); ${lengthFrom}${ropeFrom}`,
    text: result.text,
    familyKey,
  };
}

export function refreshDecay(node) {
  const parts = node.riflexDecayPreview;
  if (!parts) return;
  const show = settingValue(app, SHOW, true);
  const shown = show ? describeDecay(node) : null;
  let resized = false;
  if (Boolean(parts.text.hidden) !== !show) {
    setWidgetHidden(parts.text, !show);
    resized = true;
  }
  // beta only matters where the family's RoPE has harmonic bands (HunyuanVideo; not Wan)
  const beta = findWidget(node, "beta");
  const familyKey = shown?.familyKey ?? null;
  const hideBeta = Boolean(familyKey) && !DECAY_FAMILIES[familyKey].hasBands;
  if (beta && Boolean(beta.hidden) !== hideBeta) {
    setWidgetHidden(beta, hideBeta);
    resized = true;
  }
  if (shown) resized = showPreviewLine(node, parts, shown) || resized;
  if (resized) {
    fitHeight(node);
    refreshVueWidgets(app, beta);
  }
}

function decayNodes(graph) {
  return (graph?.nodes ?? graph?._nodes ?? []).filter(isDecayNode);
}

app.registerExtension({
  name: "RIFLEx.DecayPreview",
  nodeCreated(node) {
    if (!isDecayNode(node)) return;
    node.riflexDecayPreview = addPreviewWidget(node);
    node.setSize([Math.max(node.size[0], 340), node.size[1]]);
    for (const widget of node.widgets) {
      if (widget.name !== TEXT) chainCallback(widget, "callback", () => refreshDecay(node));
    }
    chainCallback(node, "onConfigure", () => refreshDecay(node));
    chainCallback(node, "onConnectionsChange", () => refreshDecay(node));
    refreshDecay(node);
  },
  setup() {
    // edits elsewhere (the latent's length, the loader's file, a RIFLEx RoPE's method) reach no callback of ours
    setInterval(() => {
      for (const node of decayNodes(shownGraph(app))) refreshDecay(node);
    }, REFRESH_MS);
  },
});
