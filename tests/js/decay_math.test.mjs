// js/decay_math.js (the attention-decay preview) against tests/golden/decay_preview_cases.json,
// which riflex/ writes (tests/golden/make_decay_golden.py). Run: node --test tests/js
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { DECAY_DEFAULTS, DECAY_FAMILIES } from "../../js/decay_families.js";
import { decayPreview, g, harmonicBands, planDecay } from "../../js/decay_math.js";
import { axisFrequencies } from "../../js/riflex_math.js";

const golden = JSON.parse(readFileSync(new URL("../golden/decay_preview_cases.json", import.meta.url), "utf8"));

test("the plan matches riflex/ for every golden case", () => {
  for (const c of golden.cases) {
    const what = `${c.family} ${c.pixel_frames} ${JSON.stringify(c.settings)} ${JSON.stringify(c.rope)}`;
    const plan = planDecay(c.family, c.pixel_frames, c.settings, c.rope);
    if (c.error) {
      assert.ok(plan.error?.startsWith(c.error), `${what}: ${plan.error}`);
      continue;
    }
    assert.equal(plan.error, undefined, what);
    assert.equal(plan.frames, c.frames, `${what}: frames`);
    assert.equal(plan.trainLen, c.train_len, `${what}: train_len`);
    assert.equal(plan.window, c.window, `${what}: window`);
    assert.deepEqual(plan.bands, c.bands, `${what}: bands`);
    assert.equal(plan.anchor, c.anchor, `${what}: anchor`);
  }
});

test("HunyuanVideo's bands from the derivation: multiples of 16 pi, +/- 4 frames and half a frame", () => {
  // theta 256, d_t 16: theta_4 = 1/8, period 16 pi = 50.27; half a radian of component 4 = 4 frames
  const bands = harmonicBands(axisFrequencies(256, 16), 4, 400);
  const expected = [];
  for (let n = 1; n * 16 * Math.PI - 4.5 <= 400; n++)
    expected.push([Math.ceil(n * 16 * Math.PI - 4.5), Math.min(400, Math.floor(n * 16 * Math.PI + 4.5))]);
  assert.deepEqual(bands, expected);
  assert.deepEqual(bands.slice(0, 2), [[46, 54], [97, 105]]);
  // Wan's base 10000 components never line up
  assert.deepEqual(harmonicBands(axisFrequencies(10000, 44), 6, 4000), []);
});

test("the preview line of the issue, and amber past 4x", () => {
  const wan = decayPreview("wan21", 333, {}, { method: "riflex" });
  assert.equal(
    wan.text,
    "81 -> 333 frames (84 latent, 4.0x): window +/-10.5 latent frames, alpha 0.9 beyond; no harmonic bands; first frame anchored to 21",
  );
  assert.equal(wan.level, "ok");
  const beyond = decayPreview("wan21", 401);
  assert.equal(beyond.level, "warn");
  assert.ok(beyond.text.endsWith("(s = 4.8 > 4: beyond what the reference shows)"), beyond.text);
  const hunyuan = decayPreview("hunyuan_video", 385);
  assert.equal(
    hunyuan.text,
    "129 -> 385 frames (97 latent, 2.9x): window +/-16.5 latent frames, alpha 0.9 beyond; harmonic bands 46-54 (beta 0.6); first frame not anchored",
  );
  assert.equal(decayPreview("hunyuan_video", 129).text, "129 -> 129 frames (33 latent, 1.0x): within the training length, attention unchanged");
  const refused = decayPreview("wan21", 333, { alpha: 0 });
  assert.equal(refused.level, "error");
  assert.ok(refused.text.startsWith("RIFLEx: alpha = 0 is outside (0, 1]"));
});

test("the generated family data: which families have bands, the defaults of the node", () => {
  const withBands = Object.keys(DECAY_FAMILIES).filter((key) => DECAY_FAMILIES[key].hasBands);
  assert.deepEqual(withBands.sort(), ["hunyuan_video", "hunyuan_video_15"]);
  assert.equal(DECAY_DEFAULTS.alpha, 0.9);
  assert.equal(DECAY_DEFAULTS.beta, 0.6);
  assert.equal(g(10.5), "10.5");
  assert.equal(g(16.5), "16.5");
  assert.equal(g(0.9), "0.9");
  assert.equal(g(6), "6");
});
