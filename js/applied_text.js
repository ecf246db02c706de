// What the node applied stays readable on it after the run. The server sends it as progress text
// (PromptServer.send_progress_text) while the sampler runs; the frontend shows it in a text widget
// at the bottom of the node, sized for two lines, and does not resize the node, so the longer
// RIFLEx line is cut off. This gives that widget the height its text needs at the node's width
// and grows the node to fit, once the frontend has added it.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { chainCallback, findWidget, isDecayNode, isRIFLExNode, shownGraph } from "./node_helpers.js";

// RIFLEx RoPE and RIFLEx Attention Decay both report what they applied
const reports = (node) => isRIFLExNode(node) || isDecayNode(node);

// the frontend's own name for the progress-text widget (useNodeProgressText), and its layout:
// 12 px text on 16 px lines, 8 px padding above and below, 16 px at each side (TextPreviewWidget)
// inside the DOM widget's 10 px margin
const PROGRESS_TEXT_WIDGET = "$$node-text-preview";
const LINE_HEIGHT = 16;
const PADDING_Y = 2 * 8;
const PADDING_X = 2 * 16;
const MARGIN = 10;

let measureContext = null;
function textWidth(text) {
  measureContext ??= document.createElement("canvas").getContext("2d");
  measureContext.font = `12px ${getComputedStyle(document.body).fontFamily || "sans-serif"}`;
  return measureContext.measureText(text).width;
}

// the text wraps anywhere (break-all), so its lines are its width over the room it has
function neededHeight(node, widget) {
  const room = Math.max(40, (widget.width ?? node.size[0]) - 2 * MARGIN - PADDING_X);
  const lines = String(widget.value ?? "")
    .split("\n")
    .reduce((count, part) => count + Math.max(1, Math.ceil((textWidth(part) + 2) / room)), 0);
  return lines * LINE_HEIGHT + PADDING_Y + 2 * MARGIN + 2;
}

function keepVisible(nodeId) {
  const node = shownGraph(app)?.getNodeById(nodeId);
  const widget = reports(node) ? findWidget(node, PROGRESS_TEXT_WIDGET) : null;
  if (!widget?.options) return;
  if (!widget.riflexSized) {
    widget.riflexSized = true;
    const ownMinimum = widget.options.getMinHeight;
    widget.options.getMinHeight = () => Math.max(ownMinimum?.call(widget.options) ?? 0, neededHeight(node, widget));
  }
  const height = node.computeSize()[1];
  if (node.size[1] < height) node.setSize([node.size[0], height]);
  node.setDirtyCanvas?.(true, true);
}

app.registerExtension({
  name: "RIFLEx.AppliedText",
  setup() {
    api.addEventListener("progress_text", (event) => {
      // inside a subgraph the id is "outer:inner"; the node shown is the innermost
      const nodeId = String(event.detail?.nodeId ?? "").split(":").pop();
      if (!nodeId) return;
      // after the frontend's own listener, which may run after this one, has added the widget
      setTimeout(() => keepVisible(nodeId), 0);
    });
  },
  nodeCreated(node) {
    // a narrower node wraps the text into more lines
    if (reports(node)) chainCallback(node, "onResize", () => findWidget(node, PROGRESS_TEXT_WIDGET) && keepVisible(node.id));
  },
});
