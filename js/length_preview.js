// A live preview on each RIFLEx RoPE node: for the video length (read from the latent node that
// feeds the sampler downstream, else typed into "preview frames"), what the chosen settings will
// do, computed with the same formulas as riflex/ (riflex_math.js), e.g.
//   81 -> 241 frames (61 latent), s = 2.90, k = 6: period 51.0 -> 67.8 latent frames, no repetition
// in a warning colour when the video will still loop back, k turns within training or the video is
// past 2x the training length (js/length_zones.js, from riflex/). The model family is guessed
// from the upstream loader's file name, or chosen in "preview family". The three preview widgets
// are never saved in the workflow nor sent to the server.
import { app } from "../../scripts/app.js";
import { FAMILIES, familyFromFileName, preview } from "./riflex_math.js";
import {
  chainCallback,
  findWidget,
  fitHeight,
  isRIFLExNode,
  refreshVueWidgets,
  riflexNodes,
  setWidgetHidden,
  settingValue,
  shownGraph,
} from "./node_helpers.js";

// models the node supports whose time frequencies the preview cannot compute (riflex_math.js)
const NO_PREVIEW_FILES = /ltx/i;

const SHOW = "RIFLEx.Preview.Show";
const FRAMES = "riflex_preview_frames";
const FAMILY = "riflex_preview_family";
const TEXT = "riflex_preview";
const AUTO = "auto";
// core video latent nodes (EmptyHunyuanLatentVideo, WanImageToVideo, EmptyLTXVLatentVideo, ...)
// all call their pixel frame count `length`
const LENGTH_WIDGET = "length";
const LOADER_WIDGETS = ["unet_name", "ckpt_name", "model_name"];
const SEARCH_DEPTH = 8;
const REFRESH_MS = 250;
export const MARGIN = 4; // around the preview text, inside the node
export const PADDING = 6; // the text's own, 2 px above and below and a little to spare
const SETTINGS = ["k", "s", "train_len", "safety_factor", "yarn_alpha", "yarn_beta", "tasr_switch", "axes"];
export const COLOURS = { ok: "var(--input-text, #ddd)", warn: "#f0b429", error: "#ff6b6b" };

function inputNodes(node, wanted) {
  return (node.inputs ?? []).flatMap((input, slot) =>
    wanted(input) && input.link != null && node.graph ? [node.getInputNode(slot)].filter(Boolean) : [],
  );
}

function outputNodes(node, wanted) {
  return (node.outputs ?? []).flatMap((output, slot) =>
    wanted(output) && node.graph ? (node.getOutputNodes(slot) ?? []) : [],
  );
}

// Breadth-first from `start`, `next(node)` giving the neighbours; the first node `found` accepts.
function search(start, next, found) {
  const seen = new Set([start]);
  let frontier = [start];
  for (let depth = 0; depth < SEARCH_DEPTH && frontier.length; depth++) {
    const following = [];
    for (const node of frontier) {
      for (const neighbour of next(node)) {
        if (seen.has(neighbour)) continue;
        seen.add(neighbour);
        const result = found(neighbour);
        if (result) return result;
        following.push(neighbour);
      }
    }
    frontier = following;
  }
  return null;
}

const isModel = (slot) => slot.type === "MODEL";
// a guider (CFGGuider, BasicGuider) carries the model on to SamplerCustomAdvanced
const isModelOrGuider = (slot) => slot.type === "MODEL" || slot.type === "GUIDER";
const isAny = () => true;

function numericWidget(node, name) {
  const widget = findWidget(node, name);
  return widget && Number.isFinite(Number(widget.value)) ? widget : null;
}

// The sampler(s) this model reaches (directly or through a guider), then whatever feeds their
// latent: the first `length`.
export function findLatentLength(node) {
  const fromLatentInput = (sampler) => {
    const latentSources = inputNodes(sampler, (input) => input.type === "LATENT");
    for (const source of latentSources) {
      const direct = numericWidget(source, LENGTH_WIDGET);
      const widget = direct ? { node: source, widget: direct } : search(source, (n) => inputNodes(n, isAny), lengthOf);
      if (widget) return widget;
    }
    return null;
  };
  const lengthOf = (candidate) => {
    const widget = numericWidget(candidate, LENGTH_WIDGET);
    return widget ? { node: candidate, widget } : null;
  };
  const found = search(node, (n) => outputNodes(n, isModelOrGuider), fromLatentInput);
  return found ? { frames: Number(found.widget.value), source: found.node } : null;
}

// The loader upstream of the model input, and the family its file name suggests.
export function findModelFile(node) {
  return search(
    node,
    (n) => inputNodes(n, isModel),
    (candidate) => {
      for (const name of LOADER_WIDGETS) {
        const widget = findWidget(candidate, name);
        if (typeof widget?.value === "string" && widget.value) return { fileName: widget.value, source: candidate };
      }
      return null;
    },
  );
}

function nodeName(node) {
  return `#${node.id} ${node.title || node.type}`;
}

// a file name as the preview shows it: a crafted workflow may name a 90 KB "file"
const SHOWN_NAME = 80;
function shownName(fileName) {
  return fileName.length <= SHOWN_NAME ? fileName : `${fileName.slice(0, SHOWN_NAME - 1)}…`;
}

// The family guessed from a file name, guessed again only when the name changes (the preview
// refreshes every REFRESH_MS; the guess is linear, but need not run 4 times a second).
function guessFamily(parts, fileName) {
  if (parts.guess?.fileName !== fileName) {
    parts.guess = {
      fileName,
      family: fileName ? familyFromFileName(fileName) : null,
      noPreview: Boolean(fileName) && NO_PREVIEW_FILES.test(fileName),
    };
  }
  return parts.guess;
}

function addPreviewWidgets(node) {
  const refreshSoon = () => refresh(node);
  const frames = node.addWidget("number", FRAMES, 0, refreshSoon, {
    min: 0,
    max: 100000,
    step: 40,
    step2: 4,
    precision: 0,
    round: 1,
    serialize: false,
  });
  frames.label = "preview frames";
  frames.serialize = false;
  frames.tooltip = "Video length in pixel frames for the preview (0 = twice the training length). Preview only: never sent.";
  const family = node.addWidget("combo", FAMILY, AUTO, refreshSoon, {
    values: [AUTO, ...Object.keys(FAMILIES)],
    serialize: false,
  });
  family.label = "preview family";
  family.serialize = false;
  family.tooltip = "Model family for the preview; auto = guessed from the loader's file name. Preview only: never sent.";

  const { element, source, line } = previewElement("riflex-preview");
  const text = node.addDOMWidget(TEXT, "riflex_preview", element, {
    serialize: false,
    hideOnZoom: false,
    margin: MARGIN,
    getValue: () => line.textContent,
    setValue: () => {},
    getMinHeight: () => parts.height,
  });
  text.serialize = false;
  const parts = { frames, family, text, element, source, line, height: 64 };
  return parts;
}

// The height the two lines need at the node's width: measured once the element is on the page,
// estimated from the text length before (11 px text, about 6 px a character, 15 px a line).
export function textHeight(node, parts) {
  const measured = parts.source.offsetHeight + parts.line.offsetHeight;
  if (parts.element.isConnected && parts.element.offsetWidth > 0 && measured > 0) return measured + PADDING + 2 * MARGIN;
  const perLine = Math.max(1, Math.floor((node.size[0] - 30) / 6));
  const lines = Math.ceil(parts.source.textContent.length / perLine) + Math.ceil(parts.line.textContent.length / perLine);
  return lines * 15 + PADDING + 2 * MARGIN;
}

function describe(node, parts) {
  const length = findLatentLength(node);
  const model = findModelFile(node);
  const choice = parts.family.value;
  const guess = guessFamily(parts, model?.fileName ?? null);
  const detected = guess.family;
  const familyKey = choice !== AUTO && choice in FAMILIES ? choice : detected;
  if (!familyKey && choice === AUTO && model && guess.noPreview) {
    return {
      length,
      level: "ok",
      source: `LTX (${shownName(model.fileName)})`,
      text:
        "LTX: no preview here (one frequency grid shared by t, h and w, time in seconds: see the README). " +
        "The node reports what it applies; python -m riflex inspect --family ltxv --frames N shows it beforehand.",
    };
  }
  if (!familyKey) {
    const why = model
      ? `the preview cannot tell the family from ${shownName(model.fileName)}`
      : "no model loader found upstream";
    return { length, level: "warn", source: why, text: "Choose the model in preview family to see the preview." };
  }
  const family = FAMILIES[familyKey];
  const typed = Math.round(Number(parts.frames.value));
  const frames = length ? Math.round(length.frames) : typed > 0 ? typed : 2 * family.trainFrames - 1;
  const framesFrom = length
    ? `length from ${nodeName(length.source)}`
    : typed > 0
      ? "length from preview frames"
      : "no length found: twice the training length";
  const familyFrom = choice === AUTO ? ` (${shownName(model.fileName)})` : "";
  const settings = {};
  for (const name of SETTINGS) {
    const widget = findWidget(node, name);
    if (widget) settings[name] = name === "axes" ? widget.value : Number(widget.value);
  }
  const method = findWidget(node, "method")?.value ?? "riflex";
  const result = preview(family, frames, method, settings);
  return { length, level: result.level, source: `${family.label}${familyFrom}; ${framesFrom}`, text: result.text };
}

export function refresh(node) {
  const parts = node.riflexPreview;
  if (!parts) return;
  const show = settingValue(app, SHOW, true);
  const shown = show ? describe(node, parts) : null;
  const hidden = { frames: !show || Boolean(shown.length), family: !show, text: !show };
  let resized = false;
  for (const [key, hide] of Object.entries(hidden)) {
    if (Boolean(parts[key].hidden) !== hide) {
      setWidgetHidden(parts[key], hide);
      resized = true;
    }
  }
  if (shown) resized = showPreviewLine(node, parts, shown) || resized;
  if (resized) {
    fitHeight(node);
    refreshVueWidgets(app, parts.frames);
  }
}

// The preview's element: a dimmed source line above the text line (CSS classes PREFIX,
// PREFIX-source, PREFIX-text); the decay preview's too.
export function previewElement(prefix) {
  const element = document.createElement("div");
  element.className = prefix;
  Object.assign(element.style, {
    fontSize: "11px",
    lineHeight: "1.35",
    padding: "2px 6px",
    overflowWrap: "anywhere",
    whiteSpace: "normal",
    overflow: "hidden",
    boxSizing: "border-box",
  });
  const source = document.createElement("div");
  source.className = `${prefix}-source`;
  source.style.opacity = "0.65";
  const line = document.createElement("div");
  line.className = `${prefix}-text`;
  element.append(source, line);
  return { element, source, line };
}

// Put {source, text, level} into the preview's two lines (the decay preview's too); true when
// the lines now need another height.
export function showPreviewLine(node, parts, shown) {
  const state = JSON.stringify([shown.source, shown.text, shown.level, node.size[0], parts.element.isConnected]);
  if (state === parts.state) return false;
  parts.state = state;
  parts.source.textContent = shown.source;
  parts.line.textContent = shown.text;
  parts.element.dataset.level = shown.level;
  parts.line.style.color = COLOURS[shown.level];
  parts.line.style.fontWeight = shown.level === "ok" ? "normal" : "bold";
  const height = textHeight(node, parts);
  const resized = height !== parts.height;
  parts.height = height;
  node.setDirtyCanvas?.(true, false);
  return resized;
}

function refreshAll() {
  for (const node of riflexNodes(shownGraph(app))) refresh(node);
}

app.registerExtension({
  name: "RIFLEx.LengthPreview",
  settings: [
    {
      id: SHOW,
      category: ["RIFLEx", "Preview", "Show"],
      name: "Show what the settings will do on RIFLEx RoPE nodes",
      tooltip: "A line under the inputs: video length, s, k and the period of component k before and after.",
      type: "boolean",
      defaultValue: true,
      onChange: refreshAll,
    },
  ],
  nodeCreated(node) {
    if (!isRIFLExNode(node)) return;
    node.riflexPreview = addPreviewWidgets(node);
    // room for the preview line; a loaded workflow sets its own size afterwards
    node.setSize([Math.max(node.size[0], 340), node.size[1]]);
    for (const widget of node.widgets) {
      if (!widget.name?.startsWith("riflex_preview")) chainCallback(widget, "callback", () => refresh(node));
    }
    chainCallback(node, "onConfigure", () => refresh(node));
    chainCallback(node, "onConnectionsChange", () => refresh(node));
    refresh(node);
  },
  setup() {
    // edits elsewhere (the latent node's length, the loader's file) reach no callback of ours
    setInterval(refreshAll, REFRESH_MS);
  },
});
