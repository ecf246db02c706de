// Evaluated in the ComfyUI page by tests/browser/test_editor.py: window.riflexTest, a few probes
// on the live LiteGraph graph. Only reads state and builds test graphs; every change a user would
// make (choosing a method, queueing) the test makes with the mouse and keyboard.
(() => {
  const app = window.app;
  const api = window.comfyAPI.api.api;
  const node = (id) => app.canvas.graph.getNodeById(id);
  const events = [];
  for (const type of ["execution_start", "execution_success", "execution_error", "progress_text"]) {
    api.addEventListener(type, (event) => events.push({ type, detail: event.detail }));
  }

  window.riflexTest = {
    events,

    // In a new blank workflow (as File > New: the frontend keys widget state by graph and node
    // id, so a cleared graph would hand its new nodes the old values), UNETLoader (tiny Wan 2.1)
    // -> RIFLEx RoPE -> KSampler <- EmptyHunyuanLatentVideo (16x16 px, `length` frames) and the
    // test-only conditioning, -> SaveLatent; withDecay: a RIFLEx Attention Decay after the RoPE node
    async buildTinyGraph(length, withDecay = false) {
      await app.extensionManager.command.execute("Comfy.NewBlankWorkflow");
      const add = (type, pos, values = {}) => {
        const created = LiteGraph.createNode(type);
        created.pos = pos;
        app.canvas.graph.add(created);
        for (const [name, value] of Object.entries(values)) created.widgets.find((w) => w.name === name).value = value;
        return created;
      };
      const loader = add("UNETLoader", [20, 100], { unet_name: "riflex_tiny_wan21.safetensors" });
      const rope = add("RIFLExRoPE", [330, 100]);
      const cond = add("RIFLExTestConditioning", [20, 780], { tokens: 4, width: 4096, pooled_width: 0, seed: 1 });
      const latent = add("EmptyHunyuanLatentVideo", [330, 560], { width: 16, height: 16, length, batch_size: 1 });
      const sampler = add("KSampler", [720, 100], { seed: 7, steps: 2, cfg: 1.0, sampler_name: "euler", scheduler: "simple" });
      for (const seeded of [cond, sampler]) {
        const control = seeded.widgets.find((w) => w.name === "control_after_generate");
        if (control) control.value = "fixed";
      }
      const save = add("SaveLatent", [1060, 100], { filename_prefix: "riflex_browser/tiny" });
      // the decay node to the right of RIFLEx RoPE, the sampler and save moved on to make room
      const decay = withDecay ? add("RIFLExAttentionDecay", [700, 100]) : null;
      if (decay) {
        sampler.pos = [1080, 100];
        save.pos = [1420, 100];
      }
      loader.connect(0, rope, 0);
      if (decay) {
        rope.connect(0, decay, 0);
        decay.connect(0, sampler, 0);
      } else rope.connect(0, sampler, 0);
      cond.connect(0, sampler, 1);
      cond.connect(0, sampler, 2);
      latent.connect(0, sampler, 3);
      sampler.connect(0, save, 0);
      app.canvas.ds.offset = [0, 0];
      app.canvas.ds.scale = 1;
      app.canvas.setDirty(true, true);
      return { loader: loader.id, rope: rope.id, latent: latent.id, sampler: sampler.id, decay: decay?.id ?? null };
    },

    nodesOfType(type) {
      return app.canvas.graph.nodes.filter((n) => n.type === type).map((n) => n.id);
    },

    extensions() {
      return app.extensions.map((e) => e.name);
    },

    settings(ids) {
      return Object.fromEntries(ids.map((id) => [id, app.extensionManager.setting.get(id)]));
    },

    widgets(id) {
      const n = node(id);
      return n.widgets.map((w) => ({
        name: w.name,
        value: typeof w.value === "string" || typeof w.value === "number" ? w.value : null,
        visible: n.isWidgetVisible(w),
      }));
    },

    setWidget(id, name, value) {
      const widget = node(id).widgets.find((w) => w.name === name);
      widget.value = value;
      app.canvas.setDirty(true, true);
    },

    // where a widget is on the screen, to click it like a user
    widgetPoint(id, name) {
      app.canvas.draw(true, true); // widget positions are laid out when the node is drawn
      const n = node(id);
      const widget = n.widgets.find((w) => w.name === name);
      const [x, y] = app.canvas.ds.convertOffsetToCanvas([n.pos[0] + n.size[0] * 0.6, n.pos[1] + widget.y + 10]);
      const rect = app.canvas.canvas.getBoundingClientRect();
      const ratio = app.canvas.canvas.width / rect.width;
      return [rect.left + x / ratio, rect.top + y / ratio];
    },

    preview(id) {
      const n = node(id);
      const element = n.widgets.find((w) => w.name === "riflex_preview").element;
      const line = element.querySelector(".riflex-preview-text");
      return {
        source: element.querySelector(".riflex-preview-source").textContent,
        text: line.textContent,
        level: element.dataset.level,
        colour: getComputedStyle(line).color,
        whole: element.scrollHeight <= element.clientHeight + 1,
      };
    },

    // the attention-decay node's preview line (decay_preview.js)
    decayPreview(id) {
      const element = node(id).widgets.find((w) => w.name === "riflex_decay_preview").element;
      const line = element.querySelector(".riflex-decay-preview-text");
      return {
        source: element.querySelector(".riflex-decay-preview-source").textContent,
        text: line.textContent,
        level: element.dataset.level,
        colour: getComputedStyle(line).color,
        whole: element.scrollHeight <= element.clientHeight + 1,
      };
    },

    // the text the server reported on the node (the frontend's progress-text widget), and
    // whether it lies inside the node
    appliedText(id) {
      const n = node(id);
      const widget = n.widgets.find((w) => w.name === "$$node-text-preview");
      if (!widget) return null;
      const text = String(widget.value ?? "");
      // the frontend renders it in a .dom-widget of its own; is all of the text inside its box?
      const box = [...document.querySelectorAll(".dom-widget")].find((el) => el.textContent.trim() === text);
      const scroller = box?.firstElementChild;
      return {
        text,
        visible: n.isWidgetVisible(widget),
        fits: n.size[1] + 0.5 >= n.computeSize()[1],
        whole: Boolean(scroller) && scroller.scrollHeight <= scroller.clientHeight + 1,
      };
    },

    fits(id) {
      const n = node(id);
      return n.size[1] + 0.5 >= n.computeSize()[1];
    },

    serialize() {
      return JSON.parse(JSON.stringify(app.canvas.graph.serialize()));
    },

    async load(workflow) {
      await app.loadGraphData(workflow, true, true, null, {
        showMissingNodesDialog: false,
        showMissingModelsDialog: false,
        deferWarnings: true,
        silentAssetErrors: true,
      });
      app.canvas.setDirty(true, true);
    },

    async apiPrompt() {
      return (await app.graphToPrompt()).output;
    },

    // the part of the page these nodes cover (titles included), for a close-up screenshot
    clientRect(ids, pad = 16) {
      app.canvas.draw(true, true);
      const rect = app.canvas.canvas.getBoundingClientRect();
      const ratio = app.canvas.canvas.width / rect.width;
      const corners = ids.map(node).flatMap((n) => [
        app.canvas.ds.convertOffsetToCanvas([n.pos[0], n.pos[1] - LiteGraph.NODE_TITLE_HEIGHT]),
        app.canvas.ds.convertOffsetToCanvas([n.pos[0] + n.size[0], n.pos[1] + n.size[1]]),
      ]);
      const xs = corners.map((c) => rect.left + c[0] / ratio);
      const ys = corners.map((c) => rect.top + c[1] / ratio);
      const x = Math.max(0, Math.min(...xs) - pad);
      const y = Math.max(0, Math.min(...ys) - pad);
      return { x, y, width: Math.max(...xs) + pad - x, height: Math.max(...ys) + pad - y };
    },

    // the canvas as a user sees it: these nodes in view, at scale 1
    show(ids) {
      const nodes = ids.map(node);
      // clear of the side bar on the left and the tabs and menus at the top
      const left = Math.min(...nodes.map((n) => n.pos[0])) - 110;
      const top = Math.min(...nodes.map((n) => n.pos[1])) - 150;
      app.canvas.ds.scale = 1;
      app.canvas.ds.offset = [-left, -top];
      app.canvas.setDirty(true, true);
    },
  };
})();
