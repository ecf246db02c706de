// js/riflex_math.js against tests/golden/preview_cases.json, the numbers riflex/ is checked
// against too (tests/riflex/test_preview_golden.py). Run: node --test tests/js
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  COMMON_INPUTS,
  DEFAULTS,
  FAMILIES,
  METHOD_INPUTS,
  METHOD_SPECIFIC_INPUTS,
  FAMILY_FILE_PATTERNS,
  familyFromFileName,
  lengthNote,
  planTemporal,
  positionsFromPixelFrames,
  preview,
  trainLength,
} from "../../js/riflex_math.js";

const golden = JSON.parse(readFileSync(new URL("../golden/preview_cases.json", import.meta.url), "utf8"));

function assertClose(actual, expected, rel, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((value, i) => {
    const scale = Math.max(Math.abs(expected[i]), Number.MIN_VALUE);
    assert.ok(Math.abs(value - expected[i]) / scale <= rel, `${what}[${i}]: ${value} != ${expected[i]}`);
  });
}

const caseName = (c) => `${c.family} ${c.pixel_frames} px ${c.method} ${JSON.stringify(c.settings)}`;

test("the families table is the golden one", () => {
  assert.deepEqual(Object.keys(FAMILIES).sort(), Object.keys(golden.families).sort());
  for (const [key, g] of Object.entries(golden.families)) {
    const f = FAMILIES[key];
    assert.deepEqual(
      [f.theta, f.temporalDim, f.trainFrames, f.temporalCompression, f.temporalPatch, f.defaultK, f.referenceFrames],
      [g.theta, g.temporal_dim, g.train_frames, g.temporal_compression, g.temporal_patch, g.default_k, g.reference_frames],
      key,
    );
  }
});

test("which inputs each method uses is the golden table", () => {
  assert.deepEqual(METHOD_INPUTS, golden.method_inputs);
  assert.deepEqual(COMMON_INPUTS, golden.common_inputs);
  assert.deepEqual(
    [...METHOD_SPECIFIC_INPUTS].sort(),
    ["k", "s", "safety_factor", "tasr_switch", "yarn_alpha", "yarn_beta"],
  );
  for (const [name, value] of Object.entries(golden.defaults)) assert.equal(DEFAULTS[name], value, name);
});

test("pixel frames to RoPE positions", () => {
  for (const row of golden.frames) {
    assert.equal(positionsFromPixelFrames(FAMILIES[row.family], row.pixel_frames), row.positions, JSON.stringify(row));
  }
});

test("every golden case: k, s, frequencies, changed and repeating components", () => {
  assert.ok(golden.cases.length > 300);
  for (const c of golden.cases) {
    const family = FAMILIES[c.family];
    const settings = { ...c.settings };
    const trainLen = trainLength(family, settings.train_len ?? 0);
    const spec = { theta: family.theta, dim: family.temporalDim, trainLen, defaultK: family.defaultK };
    const plan = planTemporal(spec, c.method, positionsFromPixelFrames(family, c.pixel_frames), settings);
    const e = c.expect;
    if (e.error_field) {
      assert.match(plan.error ?? "", new RegExp(`^RIFLEx: ${e.error_field} = `), caseName(c));
      continue;
    }
    assert.equal(plan.error, undefined, caseName(c));
    assert.deepEqual([plan.trainLen, plan.testLen, plan.k], [e.train_len, e.test_len, e.k], caseName(c));
    assertClose([plan.s], [e.s], 1e-15, `${caseName(c)} s`);
    assertClose(plan.freqsAfter, e.freqs_after, 1e-12, `${caseName(c)} freqs`);
    assert.deepEqual(plan.changed, e.changed, `${caseName(c)} changed`);
    assert.deepEqual(plan.repeatsAfter, e.repeats_after, `${caseName(c)} repeats`);
    assert.deepEqual(plan.newRepeatsAfter, e.new_repeats_after, `${caseName(c)} new repeats`);
  }
});

test("the riflex preview prints the golden numbers (the ones the node prints after the run)", () => {
  let checked = 0;
  for (const c of golden.cases) {
    const e = c.expect;
    if (c.method !== "riflex" || e.error_field || !e.changed.length) continue;
    const { text } = preview(FAMILIES[c.family], c.pixel_frames, "riflex", c.settings);
    assert.ok(text.includes(`s = ${e.s_text}, k = ${e.k}`), `${caseName(c)}: ${text}`);
    assert.ok(text.includes(`period ${e.period_k_before} -> ${e.period_k_after}`), `${caseName(c)}: ${text}`);
    checked += 1;
  }
  assert.ok(checked >= 20, `only ${checked} riflex cases changed anything`);
});

test("preview lines a user reads (README numbers)", () => {
  const wan = FAMILIES.wan21;
  // 241 frames on Wan is 2.9x: RIFLEx stops the loop-back, and the line says it is past 2x (amber)
  assert.deepEqual(preview(wan, 241, "riflex"), {
    ...preview(wan, 241, "riflex"),
    level: "warn",
    text:
      "81 -> 241 frames (61 latent), s = 2.90, k = 6: period 51.0 -> 67.8 latent frames, no repetition; " +
      "2.90x the training length: past 2x, quality drops without fine-tuning or RIFLEx Attention Decay (made for 3-4x)",
  });
  const short = preview(wan, 161, "riflex");
  assert.equal(short.level, "ok");
  assert.equal(short.text, "no change needed: 161 frames stay within one period of k = 6 (51.0 latent frames)");
  assert.equal(preview(wan, 81, "riflex").text, "no change: 81 frames are within the training length (81)");
  const hunyuan = preview(FAMILIES.hunyuan_video, 257, "riflex");
  assert.equal(hunyuan.text, "129 -> 257 frames (65 latent), s = 1.97, k = 4: period 50.3 -> 72.2 latent frames, no repetition");
  // CogVideoX 1.5 (VOID): RoPE time positions of 2 latent frames, as the node says
  const cog15 = preview(FAMILIES.cogvideox_15, 197, "riflex");
  assert.equal(
    cog15.text,
    "85 -> 197 frames (25 time positions), s = 2.27, k = 2: period 19.9 -> 27.8 time positions (2 latent frames each), " +
      "no repetition; 2.27x the training length: past 2x, quality drops without fine-tuning (RIFLEx Attention Decay " +
      "supports Wan and HunyuanVideo only)",
  );
  // past 2x the note suggests attention decay only for the families it runs on
  assert.match(preview(wan, 241, "riflex").text, /or RIFLEx Attention Decay \(made for 3-4x\)$/);
  assert.ok(!preview(FAMILIES.kandinsky5, 361, "riflex").text.includes("or RIFLEx Attention Decay"));
});

test("warning colour: still repeating, a k that turns within training, or past 2x", () => {
  const wan = FAMILIES.wan21;
  const plain = preview(wan, 241, "pe");
  assert.equal(plain.level, "warn");
  assert.match(plain.text, /component k = 6 \(period 51\.0\) completes a period within the video: expect a loop-back/);
  // an explicit s shorter than the video leaves component k turning past a full period
  const tooShort = preview(wan, 241, "riflex", { s: 2.5 });
  assert.equal(tooShort.level, "warn");
  assert.match(tooShort.text, /period 51\.0 -> 58\.3 latent frames, component k = 6 \(period 58\.3\) completes a period/);
  const far = preview(wan, 321, "riflex");
  assert.equal(far.level, "warn");
  assert.match(far.text, /s = 3\.86, k = 6: period 51\.0 -> 90\.0 latent frames, no repetition; 3\.86x the training length: past 2x/);
  assert.match(preview(wan, 401, "riflex").text, /; 4\.81x the training length: past 4x, beyond what RIFLEx or attention decay has shown$/);
  // up to 2x (Wan: 165 frames) nothing is amber; 169 is 2.05x
  assert.equal(preview(wan, 165, "pi").level, "ok");
  assert.equal(preview(wan, 165, "loop").level, "ok");
  assert.equal(preview(wan, 169, "pi").level, "warn");
  // the case: a repeat every 10 latent frames suggests k = 2, which turns 2.2 times in training
  const early = preview(wan, 161, "riflex", { k: 2 });
  assert.equal(early.level, "warn");
  assert.match(early.text, /warning: component k = 2 \(period 9\.5\) turns 2\.2 times within training \(21\): not a RoPE loop-back component; use k = 0$/);
  assert.equal(lengthNote(42, 21), "");
  assert.equal(lengthNote(61, 21).slice(0, 39), "; 2.90x the training length: past 2x, q");
});

test("settings the node refuses are shown as errors", () => {
  const wan = FAMILIES.wan21;
  assert.equal(preview(wan, 241, "riflex", { k: 23 }).level, "error");
  assert.match(preview(wan, 241, "yarn", { yarn_alpha: 40 }).text, /^RIFLEx: yarn_alpha = 40 and yarn_beta = 32/);
  assert.match(preview(wan, 241, "loop", { axes: "spatial" }).text, /^RIFLEx: method loop is temporal only/);
  assert.match(preview(wan, 0, "riflex").text, /not a number of frames/);
  // k is not an input of pi: a leftover k never makes its preview an error
  assert.equal(preview(wan, 161, "pi", { k: 23 }).level, "ok");
});

test("model file names -> family", () => {
  const names = {
    "wan2.1_t2v_1.3B_fp16.safetensors": "wan21",
    "wan2.1_i2v_720p_14B_fp8_scaled.safetensors": "wan21",
    "wan2.2_t2v_high_noise_14B_fp8_scaled.safetensors": "wan21",
    "wan2.2_ti2v_5B_fp16.safetensors": "wan22_5b",
    "wan2.2_s2v_14B_fp8_scaled.safetensors": "wan_s2v",
    "Wan2_2-Animate-14B_fp8_e4m3fn_scaled_KJ.safetensors": "wan_animate",
    "humo_17B_fp16.safetensors": "wan_humo",
    "hunyuan_video_t2v_720p_bf16.safetensors": "hunyuan_video",
    "skyreels_hunyuan_i2v_bf16.safetensors": "hunyuan_video",
    "hunyuanvideo1.5_720p_t2v_fp16.safetensors": "hunyuan_video_15",
    "kandinsky5lite_t2v_sft_5s.safetensors": "kandinsky5",
    "video/riflex_tiny_wan21.safetensors": "wan21",
    "CogVideoX-5b-I2V.safetensors": "cogvideox",
    "cogvideox1.5_5b_t2v_bf16.safetensors": "cogvideox_15",
    "void_pass1.safetensors": "cogvideox_15",
    "void_pass2.safetensors": "cogvideox_15",
    "CogVideoX-Fun-V1.5-5b-InP.safetensors": "cogvideox_15",
    "avoid_pass.safetensors": null,
    "Cosmos-1_0-Diffusion-7B-Text2World.safetensors": "cosmos1",
    "cosmos_predict2_2B_video2world_480p_16fps.safetensors": "cosmos_predict2",
    "ltxv-13b-0.9.7-dev.safetensors": null,
    "flux1-dev.safetensors": null,
    "hunyuan_image_2.1.safetensors": null,
  };
  for (const [name, key] of Object.entries(names)) assert.equal(familyFromFileName(name), key, name);
  // every family can be guessed from some file name
  const guessable = new Set(FAMILY_FILE_PATTERNS.map(([, key]) => key));
  for (const key of Object.keys(FAMILIES)) assert.ok(guessable.has(key), `no file-name pattern for ${key}`);
  assert.equal(familyFromFileName(undefined), null);
});

// A shared workflow can name any "file": guessing must stay linear (no pattern with an unbounded
// repeat, the name capped), or a 90 KB name stalls the editor on every preview refresh.
const ADVERSARIAL_NAMES = {
  "wan22 repeated (was /wan_?2[._]?2.*(ti2v|5b)/)": "wan22".repeat(20_000),
  "wan_2.2 repeated": "wan_2.2".repeat(15_000),
  "wan repeated (was /wan.*animate|animate.*wan/)": "wan".repeat(34_000),
  "animate repeated": "animate".repeat(15_000),
  "cosmos repeated": "cosmos_".repeat(15_000),
  "cog_video repeated": "cog_video_x_".repeat(9_000),
  "hunyuan repeated": "hunyuan_video_1".repeat(7_000),
  "one long run": "w".repeat(100_000),
  "folders then a name": "wan/".repeat(25_000) + "wan2.1_t2v.safetensors",
  "backslash folders": "wan22\\".repeat(17_000) + "x.safetensors",
};

test("family guessing is linear: 100 KB adversarial names take well under 10 ms", () => {
  for (const [what, name] of Object.entries(ADVERSARIAL_NAMES)) {
    assert.ok(name.length >= 100_000, `${what}: ${name.length} characters`);
    familyFromFileName(name); // warm up the JIT
    const runs = 20;
    const start = performance.now();
    for (let i = 0; i < runs; i++) familyFromFileName(name);
    const each = (performance.now() - start) / runs;
    assert.ok(each < 10, `${what}: ${each.toFixed(2)} ms per guess`);
  }
});

test("no file-name pattern has an unbounded repeat", () => {
  for (const [pattern, key] of FAMILY_FILE_PATTERNS) {
    for (const part of Array.isArray(pattern) ? pattern : [pattern]) {
      assert.ok(part instanceof RegExp, key);
      assert.doesNotMatch(part.source, /[*+]|\{\d+,\}/, `${key}: ${part.source}`);
    }
  }
});

test("patterns in order: the parts must come one after the other", () => {
  assert.equal(familyFromFileName("wan2.2_ti2v_5B.safetensors"), "wan22_5b");
  assert.equal(familyFromFileName("5b_wan2.2_t2v.safetensors"), "wan21"); // 5b before wan2.2: not the 5B
  assert.equal(familyFromFileName("animate_wan_14B.safetensors"), "wan_animate");
  assert.equal(familyFromFileName("wananimate.safetensors"), "wan_animate");
  assert.equal(familyFromFileName("wanimate.safetensors"), "wan21"); // "wan" and "animate" overlap: not in order
  // the base name decides, capped at a file name's length: a folder named like a family does not
  assert.equal(familyFromFileName("wan2.2_ti2v/flux1-dev.safetensors"), null);
  assert.equal(familyFromFileName("x".repeat(300) + "wan.safetensors"), null); // past 255 characters
  assert.equal(familyFromFileName("C:\\models\\wan2.1_t2v.safetensors"), "wan21");
});
