// The numbers behind the RIFLEx Attention Decay node's preview: riflex/decay_plan.py's window,
// harmonic bands and anchor, ported line for line, over the family numbers generated from
// riflex/ (decay_families.js). Pure: no DOM, no ComfyUI import (node --test tests/js runs it).
// tests/golden/decay_preview_cases.json holds what riflex/ computes for a set of cases; both
// implementations are checked against it.
import { DECAY_DEFAULTS, DECAY_FAMILIES } from "./decay_families.js";
import { axisFrequencies, planTemporal } from "./riflex_math.js";

// Python's remainder(x, y): x - n*y with n the integer nearest x/y (ties to even)
function remainder(x, y) {
  const quotient = x / y;
  let n = Math.round(quotient);
  if (Math.abs(quotient - Math.trunc(quotient)) === 0.5 && n % 2 !== 0) n -= 1;
  return x - n * y;
}

// riflex/decay_plan.py harmonic_bands: the frame distances (up to maxDistance) where components
// 1..k all come back within half a radian of a whole turn, around multiples of k's period.
export function harmonicBands(freqs, k, maxDistance) {
  if (!(k >= 1 && k <= freqs.length)) return [];
  const fast = freqs.slice(0, k);
  const thetaK = fast[k - 1];
  const periodK = (2 * Math.PI) / thetaK;
  const tolerance = DECAY_DEFAULTS.bandPhaseTolerance;
  const halfWidth = tolerance / thetaK;
  const bands = [];
  for (let turns = 1; turns * periodK - halfWidth - 0.5 <= maxDistance; turns++) {
    const center = turns * periodK;
    const worst = Math.max(...fast.map((f) => Math.abs(remainder(f * center, 2 * Math.PI))));
    if (worst <= tolerance) {
      const first = Math.max(1, Math.ceil(center - halfWidth - 0.5));
      const last = Math.min(Math.floor(center + halfWidth + 0.5), Math.floor(maxDistance));
      if (first <= last) bands.push([first, last]);
    }
  }
  return bands;
}

// Python's f"{x:g}" for the numbers shown here
export const g = (value) => String(Number(Number(value).toPrecision(6)));

function validate(settings) {
  for (const name of ["alpha", "beta"]) {
    const value = settings[name];
    if (!(Number.isFinite(value) && value > 0 && value <= 1))
      return `RIFLEx: ${name} = ${value} is outside (0, 1]; it is the factor on positive attention logits (1 = off; the reference uses alpha ${DECAY_DEFAULTS.alpha}, beta ${DECAY_DEFAULTS.beta})`;
  }
  if (!(Number.isFinite(settings.window) && settings.window >= 0))
    return `RIFLEx: window = ${settings.window} is not allowed; use 0 (half the training length) or a finite number of latent frames >= 0`;
  if (!(Number.isInteger(settings.train_len) && settings.train_len >= 0))
    return `RIFLEx: train_len = ${settings.train_len} is not allowed; use 0 (the model's own) or a number of latent frames`;
  if (!DECAY_DEFAULTS.anchorChoices.includes(settings.anchor_first_frame))
    return `RIFLEx: anchor_first_frame = ${settings.anchor_first_frame} is unknown; allowed: ${DECAY_DEFAULTS.anchorChoices.join(", ")}`;
  return null;
}

/**
 * The decay plan for `pixelFrames` frames of the family `familyKey` (riflex/decay_plan.py
 * plan_decay_for_spec): {frames, trainLen, s, window, alpha, beta, bands, anchor} or {error}.
 * rope: the settings of a RIFLEx RoPE on the same model ({method, k, s, safety_factor, ...}),
 * whose planned frequencies the bands then come from, as the node does; null for the model's own.
 */
export function planDecay(familyKey, pixelFrames, settings = {}, rope = null) {
  const family = DECAY_FAMILIES[familyKey];
  if (!family) return { error: `RIFLEx: attention decay has no family ${familyKey}` };
  const given = { ...DECAY_DEFAULTS, ...settings };
  const error = validate(given);
  if (error) return { error };
  if (!(Number.isInteger(pixelFrames) && pixelFrames >= 1))
    return { error: `RIFLEx: video length ${pixelFrames} is not a number of frames >= 1` };
  const frames = Math.floor((pixelFrames - 1) / family.temporalCompression) + 1;
  // a train_len setting counts a reference frame in front as the RoPE node's does (plan_decay_for_spec)
  const trainLen = given.train_len > 0 ? given.train_len - family.referenceFrames : family.trainLen;
  if (!(trainLen >= 1)) return { error: `RIFLEx: train_len = ${given.train_len} leaves no video frames for this model` };
  const window = given.window > 0 ? given.window : trainLen / 2;
  const anchor = { on: true, off: false }[given.anchor_first_frame] ?? family.anchor;
  let freqs = axisFrequencies(family.theta, family.temporalDim);
  let k = family.defaultK;
  if (rope) {
    const spec = { theta: family.theta, dim: family.temporalDim, trainLen, defaultK: family.defaultK };
    const plan = planTemporal(spec, rope.method ?? "riflex", frames, rope);
    if (plan.error) return { error: plan.error };
    freqs = plan.freqsAfter;
    k = plan.k;
  }
  const bands = given.beta < 1 ? harmonicBands(freqs, k, frames - 1) : [];
  return { frames, trainLen, s: frames / trainLen, window, alpha: given.alpha, beta: given.beta, bands, anchor };
}

/**
 * One line for the node, e.g.
 *   81 -> 333 frames (84 latent, 4.0x): window +/-10.5 latent frames, alpha 0.9 beyond; no harmonic
 *   bands; first frame anchored to 21
 * with level "ok", "warn" (past 4x, beyond what the reference shows) or "error" (settings the
 * node refuses).
 */
export function decayPreview(familyKey, pixelFrames, settings = {}, rope = null) {
  const plan = planDecay(familyKey, pixelFrames, settings, rope);
  if (plan.error) return { level: "error", text: plan.error, plan };
  const family = DECAY_FAMILIES[familyKey];
  const trainPixels = (plan.trainLen - 1) * family.temporalCompression + 1;
  const head = `${trainPixels} -> ${pixelFrames} frames (${plan.frames} latent, ${plan.s.toFixed(1)}x)`;
  if (plan.frames <= plan.trainLen)
    return { level: "ok", text: `${head}: within the training length, attention unchanged`, plan };
  const bands = plan.bands.length
    ? `harmonic bands ${plan.bands.map(([first, last]) => `${first}-${last}`).join(", ")} (beta ${g(plan.beta)})`
    : "no harmonic bands";
  const anchor = plan.anchor ? `first frame anchored to ${plan.trainLen}` : "first frame not anchored";
  const limit = DECAY_DEFAULTS.referenceLimit;
  const beyond = plan.s > limit + 1e-9;
  const warn = beyond ? ` (s = ${plan.s.toFixed(1)} > ${limit}: beyond what the reference shows)` : "";
  const text = `${head}: window +/-${g(plan.window)} latent frames, alpha ${g(plan.alpha)} beyond; ${bands}; ${anchor}${warn}`;
  return { level: beyond ? "warn" : "ok", text, plan };
}
