// The numbers behind the RIFLEx RoPE node's preview: the same formulas as riflex/ (frequencies.py,
// methods.py, plan.py, spec.py), ported line for line. Pure: no DOM, no ComfyUI import, so
// `node --test tests/js` runs it as is. tests/golden/preview_cases.json holds the numbers both
// implementations are checked against (tests/js here, tests/riflex/test_preview_golden.py there).

// The data (families, defaults, which inputs each method reads) is generated from riflex/ into
// rope_preview_data.js and length_zones.js (`python -m riflex export-editor-data`); only the
// formulas are ported here.
import { LENGTH_ZONES } from "./length_zones.js";
import { COMMON_INPUTS, DEFAULTS, FAMILIES, METHOD_INPUTS } from "./rope_preview_data.js";

export { COMMON_INPUTS, DEFAULTS, FAMILIES, METHOD_INPUTS };

// Every input some method uses and another does not: the ones the editor may hide.
export const METHOD_SPECIFIC_INPUTS = [...new Set(Object.values(METHOD_INPUTS).flat())];

// Paper Sec. 5: training-free extrapolation holds to 2x; riflex/length_zones.py, generated into
// js/length_zones.js, so the colour and the words are the node's.
export const TRAINING_FREE_LIMIT = LENGTH_ZONES.trainingFreeFactor;

/** The warning the node's line ends with past 2x ('' up to 2x): riflex/length_zones.py length_note;
 * decaySupported false: the family attention decay refuses, so the note does not suggest it. */
export function lengthNote(testLen, trainLen, decaySupported = true) {
  const ratio = testLen / trainLen;
  if (ratio <= LENGTH_ZONES.trainingFreeFactor) return "";
  const zone =
    ratio > LENGTH_ZONES.decayFactor ? "past_4x" : decaySupported ? "past_2x" : "past_2x_no_decay";
  return LENGTH_ZONES.notes[zone].replace("{ratio}", ratio.toFixed(2));
}

// Model file names -> family, most specific first. Only a guess for the preview: the node itself
// resolves the family from the loaded model, and the preview says which file it guessed from.
// A pattern is one RegExp, or a list of them that must match in that order ("wan2.2 ... 5b"):
// none has an unbounded repeat (* + {n,}), so a guess is linear in the name, however crafted
// (a shared workflow names its files; /a.*b/ on a 90 KB name took seconds, every refresh).
export const FAMILY_FILE_PATTERNS = [
  [/hunyuan_?video_?1[._]?5|hunyuanvideo15|hyvideo_?1[._]?5/i, "hunyuan_video_15"],
  [/hunyuan_?video|skyreels/i, "hunyuan_video"],
  [/kandinsky/i, "kandinsky5"],
  [/cog_?video_?x?_?1[._]?5/i, "cogvideox_15"],
  // VOID (Netflix; ComfyUI's void_pass1/void_pass2) is a CogVideoX-Fun-V1.5 inpainting fine-tune
  [/cog_?video_?x?[-_]?fun[-_]?v?1[._]?5|^void_pass/i, "cogvideox_15"],
  [/cog_?video/i, "cogvideox"],
  [/cosmos.?predict.?2/i, "cosmos_predict2"],
  [/cosmos/i, "cosmos1"],
  [[/wan_?2[._]?2/i, /ti2v|5b/i], "wan22_5b"],
  [/s2v/i, "wan_s2v"],
  [/humo/i, "wan_humo"],
  [[/wan/i, /animate/i], "wan_animate"],
  [[/animate/i, /wan/i], "wan_animate"],
  [/wan/i, "wan21"],
];

// File names are at most 255 bytes on every common file system; a longer "name" is not one.
export const MAX_FILE_NAME = 255;

// Does each part match, each after the end of the one before? One linear scan per part.
function matchesInOrder(text, parts) {
  let rest = text;
  for (const part of parts) {
    const found = part.exec(rest);
    if (!found) return false;
    rest = rest.slice(found.index + found[0].length);
  }
  return true;
}

export function familyFromFileName(fileName) {
  if (typeof fileName !== "string") return null;
  const slash = Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\"));
  const base = fileName.slice(slash + 1, slash + 1 + MAX_FILE_NAME);
  for (const [pattern, key] of FAMILY_FILE_PATTERNS) {
    if (matchesInOrder(base, Array.isArray(pattern) ? pattern : [pattern]) && key in FAMILIES) return key;
  }
  return null;
}

// riflex/spec.py positions_from_pixel_frames: the causal VAE's first latent frame holds one pixel
// frame; the patch embedding pads up to a whole patch; a reference latent frame adds a position.
export function positionsFromPixelFrames(family, pixelFrames) {
  const latent = Math.floor((pixelFrames - 1) / family.temporalCompression) + 1;
  return Math.ceil(latent / family.temporalPatch) + (family.referenceFrames ?? 0);
}

export function pixelFramesFromPositions(family, positions) {
  const latent = (positions - (family.referenceFrames ?? 0)) * family.temporalPatch;
  return (latent - 1) * family.temporalCompression + 1;
}

export function trainLength(family, trainLenOverride = 0) {
  return trainLenOverride > 0 ? trainLenOverride : positionsFromPixelFrames(family, family.trainFrames);
}

// theta_j = b^(-2(j-1)/d), j = 1..d/2 (riflex/frequencies.py axis_frequencies).
export function axisFrequencies(theta, dim) {
  if (!(dim > 0) || dim % 2) throw new Error(`RIFLEx: axis dim must be a positive even number, got ${dim}`);
  const components = dim / 2;
  return Array.from({ length: components }, (_, j) => 1 / theta ** ((2 * j) / dim));
}

export const period = (freq) => (2 * Math.PI) / freq;

// Components (1-indexed) that complete a full turn over positions 0..testLen-1.
export function checkNonRepetition(freqs, testLen) {
  const span = Math.max(testLen - 1, 0);
  const repeating = [];
  freqs.forEach((freq, j) => {
    if ((freq * span) / (2 * Math.PI) >= 1) repeating.push(j + 1);
  });
  return repeating;
}

// The fastest component whose period exceeds the training length (riflex/plan.py estimate_k).
export function estimateK(freqs, trainLen) {
  const index = freqs.findIndex((freq) => period(freq) > trainLen);
  return index >= 0 ? index + 1 : freqs.length;
}

export function resolveS(s, trainLen, testLen) {
  return s > 0 ? s : Math.max(1, testLen / trainLen);
}

const pi = (freqs, trainLen, params) => freqs.map((freq) => freq / params.s);

function ntk(freqs, trainLen, params) {
  const dim = 2 * freqs.length;
  if (dim <= 2) return pi(freqs, trainLen, params);
  return freqs.map((freq, j) => freq * params.s ** ((-2 * j) / (dim - 2)));
}

function yarn(freqs, trainLen, params) {
  if (params.s === 1) return [...freqs];
  return freqs.map((freq) => {
    const turnsInTraining = (trainLen * freq) / (2 * Math.PI);
    const ramp = (turnsInTraining - params.yarn_alpha) / (params.yarn_beta - params.yarn_alpha);
    const gamma = Math.min(1, Math.max(0, ramp));
    return gamma >= 1 ? freq : ((1 - gamma) * freq) / params.s + gamma * freq;
  });
}

function riflex(freqs, trainLen, params) {
  // within the training length (s <= 1) nothing changes: riflex/methods.py _riflex
  if (params.s <= 1) return [...freqs];
  const lowered = (params.safety_factor * 2 * Math.PI) / (params.s * trainLen);
  return freqs.map((freq, j) => (j === params.k - 1 ? Math.min(freq, lowered) : freq));
}

function loop(freqs, trainLen, params) {
  return freqs.map((freq, j) => (j === params.k - 1 ? (2 * Math.PI) / (params.s * trainLen) : freq));
}

function tasr(freqs, trainLen, params) {
  return (params.schedule_fraction < params.tasr_switch ? pi : ntk)(freqs, trainLen, params);
}

const APPLY = { riflex, pe: (freqs) => [...freqs], pi, ntk, yarn, tasr, loop };

// The checks of riflex/methods.py (per method) and RIFLExRoPE.validate_inputs, same wording.
function validate(method, params, components, axes) {
  const finite = Number.isFinite;
  if (!(method in APPLY)) return `RIFLEx: method '${method}' is unknown; allowed: ${Object.keys(APPLY).join(", ")}`;
  if (method === "loop" && axes !== "temporal")
    return "RIFLEx: method loop is temporal only (a clip that ends where it began); use axes = temporal";
  const uses = METHOD_INPUTS[method];
  if (uses.includes("s") && !(finite(params.s) && params.s >= 1))
    return `RIFLEx: s = ${params.s} is not a valid extrapolation factor; use 0 (auto: test length / training length) or a finite number >= 1`;
  if (uses.includes("k") && !(params.k >= 1 && params.k <= components))
    return `RIFLEx: k = ${params.k} is outside this model's temporal components; allowed: 1..${components} (or 0 for the family's default)`;
  if (uses.includes("safety_factor") && !(finite(params.safety_factor) && params.safety_factor > 0 && params.safety_factor <= 1))
    return `RIFLEx: safety_factor = ${params.safety_factor} is outside (0, 1]; the reference uses ${DEFAULTS.safety_factor}`;
  if (uses.includes("yarn_alpha")) {
    const { yarn_alpha: alpha, yarn_beta: beta } = params;
    if (!(finite(alpha) && finite(beta) && alpha >= 0 && alpha < beta))
      return `RIFLEx: yarn_alpha = ${alpha} and yarn_beta = ${beta} must satisfy 0 <= yarn_alpha < yarn_beta`;
  }
  if (uses.includes("tasr_switch") && !(finite(params.tasr_switch) && params.tasr_switch >= 0 && params.tasr_switch <= 1))
    return `RIFLEx: tasr_switch = ${params.tasr_switch} is outside [0, 1]`;
  return null;
}

/**
 * The time-axis plan for `method` on a video of testLen positions (riflex/plan.py plan_temporal).
 * settings: node input values (k, s, safety_factor, yarn_alpha, yarn_beta, tasr_switch, axes)
 * plus schedule_fraction for tasr. Returns {error} for a setting the node would refuse.
 */
export function planTemporal({ theta, dim, trainLen, defaultK = 0 }, method, testLen, settings = {}) {
  const given = { ...DEFAULTS, schedule_fraction: 0, ...settings };
  if (!(testLen >= 1)) return { error: `RIFLEx: test_len must be >= 1 latent frame, got ${testLen}` };
  if (!(Number.isFinite(given.s) && given.s >= 0))
    return { error: `RIFLEx: s = ${given.s} is not allowed; use 0 (auto) or a finite number >= 1` };
  const freqsBefore = axisFrequencies(theta, dim);
  const components = freqsBefore.length;
  if (given.k < 0) return { error: `RIFLEx: k = ${given.k} is negative; allowed: 0 (auto) or 1..${components}` };
  const params = {
    ...given,
    k: given.k || defaultK || estimateK(freqsBefore, trainLen),
    s: resolveS(given.s, trainLen, testLen),
  };
  const error = validate(method, params, components, given.axes);
  if (error) return { error };
  const freqsAfter = APPLY[method](freqsBefore, trainLen, params);
  const changed = [];
  freqsBefore.forEach((freq, j) => {
    if (freq !== freqsAfter[j]) changed.push(j + 1);
  });
  const repeatsInTraining = checkNonRepetition(freqsBefore, trainLen);
  const repeatsAfter = checkNonRepetition(freqsAfter, testLen);
  return {
    method,
    trainLen,
    testLen,
    k: params.k,
    s: params.s,
    freqsBefore,
    freqsAfter,
    changed,
    repeatsAfter,
    repeatsInTraining,
    newRepeatsAfter: repeatsAfter.filter((j) => !repeatsInTraining.includes(j)),
  };
}

const fixed = (value, digits) => value.toFixed(digits);

/**
 * What the node will do for a video of `pixelFrames` frames of `family`, in one line, and how
 * worried to be: level "ok", "warn" (the intrinsic component k still completes a period within
 * the video, so it will loop back; a k that turns within training; or a video past 2x the training
 * length, where the paper says training-free quality drops: riflex/length_zones.py)
 * or "error" (the node would refuse these settings). The verdict is about k, as in
 * `python -m riflex inspect`: faster components turn within the training length already.
 */
export function preview(family, pixelFrames, method, settings = {}) {
  const given = { ...DEFAULTS, ...settings };
  // k is an input of riflex and loop only; for the others the verdict is about the family's k
  if (!(METHOD_INPUTS[method] ?? []).includes("k")) given.k = 0;
  if (!(Number.isInteger(pixelFrames) && pixelFrames >= 1))
    return { level: "error", text: `RIFLEx: video length ${pixelFrames} is not a number of frames >= 1` };
  const trainLen = trainLength(family, given.train_len);
  const testLen = positionsFromPixelFrames(family, pixelFrames);
  const spec = { theta: family.theta, dim: family.temporalDim, trainLen, defaultK: family.defaultK };
  const trainPixels = pixelFramesFromPositions(family, trainLen);
  const plan = planTemporal(spec, method, testLen, given);
  if (plan.error) return { level: "error", text: plan.error };
  const { k, s } = plan;
  // what one RoPE time position is (riflex/spec.py time_unit): a latent frame, or a temporal patch
  const patched = (family.temporalPatch ?? 1) > 1;
  const positions = patched ? "time positions" : "latent";
  const unit = patched ? `time positions (${family.temporalPatch} latent frames each)` : "latent frames";
  const head = `${trainPixels} -> ${pixelFrames} frames (${testLen} ${positions}), s = ${fixed(s, 2)}`;
  const periodOf = (freqs) => fixed(period(freqs[k - 1]), 1);
  // as AxisPlan.summary: a k that turns within training, then the length past 2x
  const kTurnsInTraining = (trainLen * plan.freqsBefore[k - 1]) / (2 * Math.PI);
  const kWarning =
    ["riflex", "loop"].includes(method) && plan.repeatsInTraining.includes(k)
      ? `; warning: component k = ${k} (period ${periodOf(plan.freqsBefore)}) turns ${fixed(kTurnsInTraining, 1)} ` +
        `times within training (${trainLen}): not a RoPE loop-back component; use k = 0`
      : "";
  const quality = kWarning + lengthNote(testLen, trainLen, family.decaySupported !== false);
  const result = (repeats, text) => ({ level: repeats || quality ? "warn" : "ok", text: text + quality, plan });
  const kRepeats = (someplan) => someplan.repeatsAfter.includes(k);
  const verdict = (someplan) =>
    kRepeats(someplan)
      ? `component k = ${k} (period ${periodOf(someplan.freqsAfter)}) completes a period within the video: expect a loop-back`
      : "no repetition";
  const periods = `period ${periodOf(plan.freqsBefore)} -> ${periodOf(plan.freqsAfter)}`;

  if (!plan.changed.length && testLen <= trainLen)
    // as the node: nothing to warn about when nothing changes within the training length
    return { level: "ok", text: `no change: ${pixelFrames} frames are within the training length (${trainPixels})`, plan };
  if (method === "riflex") {
    if (!plan.changed.length && !kRepeats(plan))
      return result(
        false,
        `no change needed: ${pixelFrames} frames stay within one period of k = ${k} (${periodOf(plan.freqsBefore)} ${unit})`,
      );
    if (!plan.changed.length)
      return result(true, `${head}, k = ${k}: no change for this s, and ${verdict(plan)}; use s = 0`);
    return result(kRepeats(plan), `${head}, k = ${k}: ${periods} ${unit}, ${verdict(plan)}`);
  }
  if (method === "loop")
    return result(false, `${head}, k = ${k}: ${periods}: one full turn over the clip, so it ends where it began (experimental)`);
  if (method === "tasr") {
    const late = planTemporal(spec, method, testLen, { ...given, schedule_fraction: 1 });
    return result(
      kRepeats(plan) || kRepeats(late),
      `${head}: PI on early steps, ${verdict(plan)}; NTK on late steps, ${verdict(late)}`,
    );
  }
  const changed = method === "pe" ? "model unchanged" : `${plan.changed.length} of ${plan.freqsBefore.length} components changed`;
  const kNote = method === "pe" ? "" : ` (k = ${k}: ${periods})`;
  return result(kRepeats(plan), `${head}: ${changed}${kNote}, ${verdict(plan)}`);
}
