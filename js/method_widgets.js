// Method-aware inputs: a RIFLEx RoPE node shows only the inputs its method uses (yarn_alpha and
// yarn_beta for yarn, k for riflex and loop, ...), again when the method changes and when a saved
// workflow is loaded. Hidden widgets keep their values and are still saved and sent, so workflows
// and API prompts are exactly what they were without this file.
import { app } from "../../scripts/app.js";
import { METHOD_INPUTS, METHOD_SPECIFIC_INPUTS } from "./riflex_math.js";
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

const HIDE_UNUSED = "RIFLEx.Inputs.HideUnused";

function inputLinked(node, name) {
  // an input the user wired to another node stays visible, whatever the method
  return node.inputs?.some((input) => (input.widget?.name ?? input.name) === name && input.link != null) ?? false;
}

export function applyMethodWidgets(node) {
  const hideUnused = settingValue(app, HIDE_UNUSED, true);
  const used = METHOD_INPUTS[findWidget(node, "method")?.value]; // a method this file does not know: hide nothing
  let changed = false;
  for (const name of METHOD_SPECIFIC_INPUTS) {
    const widget = findWidget(node, name);
    if (!widget) continue;
    const hide = Boolean(hideUnused && used && !used.includes(name) && !inputLinked(node, name));
    if (hide === Boolean(widget.riflexHidden)) continue;
    widget.riflexHidden = hide;
    setWidgetHidden(widget, hide);
    changed = true;
  }
  if (changed) {
    fitHeight(node);
    refreshVueWidgets(app, findWidget(node, "riflex_preview_frames"));
  }
}

app.registerExtension({
  name: "RIFLEx.MethodWidgets",
  settings: [
    {
      id: HIDE_UNUSED,
      category: ["RIFLEx", "Inputs", "Hide unused"],
      name: "Hide the inputs the chosen method does not use",
      tooltip: "On RIFLEx RoPE nodes. Hidden inputs keep their values; they are saved and sent as before.",
      type: "boolean",
      defaultValue: true,
      onChange: () => riflexNodes(shownGraph(app)).forEach(applyMethodWidgets),
    },
  ],
  nodeCreated(node) {
    if (!isRIFLExNode(node)) return;
    const method = findWidget(node, "method");
    if (method) chainCallback(method, "callback", () => applyMethodWidgets(node));
    // a loaded workflow sets widget values without calling their callbacks
    chainCallback(node, "onConfigure", () => applyMethodWidgets(node));
    chainCallback(node, "onConnectionsChange", () => applyMethodWidgets(node));
    applyMethodWidgets(node);
  },
});
