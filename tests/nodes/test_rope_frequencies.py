"""The frequencies the patched RoPE really used while sampling, recovered from the cos/sin
table it produced inside a real ComfyUI (tests/nodes/comfy_side/probe_frequencies.py), equal
the core's plan, which equals the formula computed here; for every family in the model table,
and the refusals of models and RoPEs RIFLEx cannot patch."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess

import pytest
from comfy_host import COMFY_SIDE, REPO
from prompts import TINY

pytestmark = pytest.mark.comfyui


def formula(base: float, dim: int) -> list[float]:
    return [base ** (-2 * (j - 1) / dim) for j in range(1, dim // 2 + 1)]


CASES = [
    # family, latent frames, method, k, s, (base, d_t), expected change of the temporal axis
    ("wan21", 61, "riflex", 0, 0.0, (10000.0, 44), lambda f: {5: 0.9 * 2 * math.pi / 61}),
    ("wan22_5b", 61, "riflex", 0, 0.0, (10000.0, 44), lambda f: {5: 0.9 * 2 * math.pi / 61}),
    ("hunyuan_video", 66, "riflex", 0, 0.0, (256.0, 16), lambda f: {3: 0.9 * 2 * math.pi / 66}),
    ("hunyuan_video", 66, "riflex", 3, 0.0, (256.0, 16), lambda f: {2: 0.9 * 2 * math.pi / 66}),  # explicit k
    ("wan21", 41, "riflex", 0, 0.0, (10000.0, 44), lambda f: {}),  # 41 < 0.9 * 50.96: no change
    ("hunyuan_video", 66, "pi", 0, 0.0, (256.0, 16), lambda f: {j: v / 2 for j, v in enumerate(f)}),
    ("hunyuan_video_15", 62, "riflex", 0, 0.0, (256.0, 16), lambda f: {3: 0.9 * 2 * math.pi / 62}),
    ("kandinsky5", 70, "riflex", 0, 0.0, (10000.0, 16), lambda f: {2: 0.9 * 2 * math.pi / 70}),
    ("wan21", 42, "pi", 0, 3.0, (10000.0, 44), lambda f: {j: v / 3 for j, v in enumerate(f)}),
    # Wan variants keep Wan's RoPE and k; Animate's latent holds the reference frame too (21 trained)
    ("wan_animate", 46, "riflex", 0, 0.0, (10000.0, 44), lambda f: {5: 0.9 * 2 * math.pi / 46}),
    ("wan_animate", 46, "pi", 0, 0.0, (10000.0, 44), lambda f: {j: v * 21 / 46 for j, v in enumerate(f)}),
    ("wan_humo", 50, "pi", 0, 0.0, (10000.0, 44), lambda f: {j: v / 2 for j, v in enumerate(f)}),  # 25 trained
    ("wan_s2v", 40, "pi", 0, 0.0, (10000.0, 44), lambda f: {j: v / 2 for j, v in enumerate(f)}),  # 20 trained
    # CogVideoX keeps its RoPE in a method; 1.5 has 2 latent frames per time position (42 -> 21)
    ("cogvideox", 26, "riflex", 0, 0.0, (10000.0, 16), lambda f: {1: 0.9 * 2 * math.pi / 26}),
    ("cogvideox_15", 42, "riflex", 0, 0.0, (10000.0, 16), lambda f: {1: 0.9 * 2 * math.pi / 21}),
    ("cogvideox_15", 26, "riflex", 0, 0.0, (10000.0, 16), lambda f: {}),  # 13 < 0.9 * 19.9: no change
    # Cosmos: the time base carries the module's NTK factor (1.0 7B/14B: ratio 2, 10000 * 2^(44/42));
    # k = 4 for 1.0 (16 trained), 5 for Predict2 (24 trained)
    ("cosmos1", 33, "riflex", 0, 0.0, (10000.0 * 2 ** (44 / 42), 44), lambda f: {3: 0.9 * 2 * math.pi / 33}),
    ("cosmos1", 32, "pi", 0, 0.0, (10000.0 * 2 ** (44 / 42), 44), lambda f: {j: v / 2 for j, v in enumerate(f)}),
    ("cosmos_predict2", 33, "riflex", 0, 0.0, (10000.0, 44), lambda f: {4: 0.9 * 2 * math.pi / 33}),
]
# what the input model keeps at the RoPE path (never the replacement)
UNPATCHED = {
    "cogvideox": "_get_rotary_emb",
    "cogvideox_15": "_get_rotary_emb",
    "cosmos1": "generate_embeddings",
    "cosmos_predict2": "generate_embeddings",
}


@pytest.mark.parametrize("family,frames,method,k,s,axis,change", CASES)
def test_frequencies_used_equal_core_and_formula(
    comfy_install, tiny_models, family, frames, method, k, s, axis, change
):
    data = probe(comfy_install, tiny_models, family, frames, method, k=k, s=s)
    base, d_t = axis
    assert data["theta"] == pytest.approx(base, rel=1e-15) and data["axes_dims"][0] == d_t  # read from the model

    expected_t = formula(base, d_t)
    for j, value in change(expected_t).items():
        expected_t[j] = value
    # the core's plan equals the formula
    assert data["planned"][0] == pytest.approx(expected_t, rel=1e-13)
    for axis_index, dim in enumerate(data["axes_dims"][1:], start=1):
        assert data["planned"][axis_index] == pytest.approx(formula(base, dim), rel=1e-13)
    # the module samples with exactly the core's frequencies
    assert data["module"] == data["planned"]
    # and the table it produced rotates by exactly those angles (float32 table: ~1e-7)
    assert data["recovered"][0] == pytest.approx(expected_t, abs=2e-7)
    # the input model is untouched and no weight was copied
    assert data["input_model_module_is_original"]
    assert data["input_model_unpatched_module"] == UNPATCHED.get(family, "EmbedND")
    assert data["weights_shared"]
    assert data["tables_after_run"] == 0  # no RoPE table stays in memory after sampling


def probe(
    comfy_install, tiny_models, family, frames, method, k=0, s=0.0, axes="temporal", height=2, width=2, steps=1, **extra
):
    tiny = TINY[family]
    model_file = next(iter(tiny_models.values())).parent / tiny["file"]  # .inprocess: a marker, see TINY
    if not model_file.exists():
        pytest.skip(f"ComfyUI {comfy_install.version} has no {family} model class (added in a later ComfyUI)")
    args = [str(model_file), str(frames), str(tiny["channels"]), str(tiny["pooled"]), method, str(k), str(s), axes]
    args += [str(height), str(width), str(steps), f"context={tiny['context']}"]
    args += [f"{key}={value}" for key, value in extra.items()]
    return _worker(comfy_install).probe(args)


class ProbeWorker:
    """probe_frequencies.py --serve in ComfyUI's Python: one process per ComfyUI for the whole
    session (importing ComfyUI costs seconds, a probe of a tiny model well under one)."""

    def __init__(self, install) -> None:
        self.process = subprocess.Popen(
            [str(install.python), str(COMFY_SIDE / "probe_frequencies.py"), "--serve", str(install.path), str(REPO)],
            cwd=install.path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def probe(self, args: list[str]) -> dict:
        self.process.stdin.write(json.dumps(args) + "\n")
        self.process.stdin.flush()
        for line in self.process.stdout:
            if line.startswith(RESULT_PREFIX):
                result = json.loads(line[len(RESULT_PREFIX) :])
                if "exception" in result:
                    raise RuntimeError(f"probe {args} failed in ComfyUI:\n{result['exception']}")
                return result
        raise RuntimeError(f"the probe worker exited ({self.process.wait()}) during {args}")

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


RESULT_PREFIX = "RIFLEX_PROBE_RESULT "
_WORKERS: dict[str, ProbeWorker] = {}


def _worker(install) -> ProbeWorker:
    if str(install.path) not in _WORKERS:
        _WORKERS[str(install.path)] = ProbeWorker(install)
    return _WORKERS[str(install.path)]


@pytest.fixture(scope="module", autouse=True)
def _close_probe_workers():
    yield
    while _WORKERS:
        _WORKERS.popitem()[1].close()


@pytest.mark.parametrize(
    "family,reference_t",
    [("wan_humo", lambda frames: frames), ("wan_s2v", lambda frames: max(30, frames + 9))],
)
def test_shifted_reference_positions_do_not_change_the_test_length(comfy_install, tiny_models, family, reference_t):
    # S2V and HuMo embed a reference latent at a time position past the video (HuMo: t = T,
    # S2V: t = max(30, T + 9)); the length RIFLEx plans for must still be the video's own
    frames = 49
    data = probe(comfy_install, tiny_models, family, frames, "riflex", reference_frames=1)
    assert data["calls"] == 2  # the video's RoPE, then the reference's
    assert data["time_ranges"] == [[0.0, frames - 1.0], [reference_t(frames), reference_t(frames)]]
    assert data["all_keys"] == [str(((frames, 1, 1), False))]  # one plan, for 49 frames, for both calls
    expected = formula(10000.0, 44)
    expected[5] = 0.9 * 2 * math.pi / frames  # not / 59 (S2V's largest position + 1)
    assert data["planned"][0] == pytest.approx(expected, rel=1e-13)
    assert data["recovered"][0] == pytest.approx(expected, abs=2e-7)


def test_spatial_axes_change_as_the_formulas_say_and_time_does_not(comfy_install, tiny_models):
    # Wan 1.3B-sized family default: trained at 30 x 52 patches; sample 2x the width (latent 60 x 208),
    # two latent frames to keep the tiny model fast
    data = probe(comfy_install, tiny_models, "wan21", 2, "ntk", axes="spatial", height=60, width=208)
    assert data["spatial_train_len"] == [30, 52]
    t_dim, h_dim, w_dim = data["axes_dims"]
    assert data["recovered"][0] == pytest.approx(formula(10000.0, t_dim), abs=2e-7)  # time untouched
    assert data["recovered"][1] == pytest.approx(formula(10000.0, h_dim), abs=2e-7)  # h at its training size
    s = 104 / 52
    ntk_w = formula(10000.0 * s ** (w_dim / (w_dim - 2)), w_dim)  # b' = b * s^(d/(d-2))
    assert data["planned"][2] == pytest.approx(ntk_w, rel=1e-12)
    assert data["recovered"][2] == pytest.approx(ntk_w, abs=2e-7)


def test_ltx_changes_only_the_time_row_of_its_shared_grid(comfy_install, tiny_models):
    # LTX: one grid omega_i = (pi/2) 10000^(i/(n-1)) for t, h and w; one latent frame advances
    # time by 2 * 8 / (25 fps * 20 s) grid units, so the time components turn omega_i * 0.032
    # radians per latent frame. Trained 257 px = 33 latent; sample 65.
    data = probe(comfy_install, tiny_models, "ltxv", 65, "riflex", attention_mask=1)
    n = data["axes_dims"][0] // 2  # tiny model: inner dim 256 -> 42 per axis
    grid = [(math.pi / 2) * 10000 ** (i / (n - 1)) for i in range(n)][::-1]  # fastest first
    time = [omega * 2 * 8 / (25 * 20) for omega in grid]
    k = next(j for j, f in enumerate(time, start=1) if 2 * math.pi / f > 33)  # estimate_k
    expected = list(time)
    expected[k - 1] = 0.9 * 2 * math.pi / 65
    assert data["train_len"] == 33 and data["planned"][0] == pytest.approx(expected, rel=1e-6)
    assert data["recovered"][0] == pytest.approx(expected, rel=1e-6)
    # h and w keep the model's own grid, exactly as shared before
    assert data["recovered"][1] == pytest.approx(grid, rel=1e-6) and data["recovered"][2] == data["recovered"][1]
    assert data["input_model_module_is_original"] and data["tables_after_run"] == 0


def test_kandinsky_spatial_extrapolation_counts_its_half_spaced_positions(comfy_install, tiny_models):
    # Kandinsky 5 Lite, trained at 768x512 = 32 x 48 patches, places its h/w positions half a
    # unit apart ((n - 1) / 2 + 1): trained extents 16.5 x 24.5. Sample 2x the width: 96 patches.
    data = probe(comfy_install, tiny_models, "kandinsky5", 2, "ntk", axes="spatial", height=64, width=192)
    assert data["spatial_train_len"] == [16.5, 24.5]
    t_dim, h_dim, w_dim = data["axes_dims"]
    assert data["recovered"][0] == pytest.approx(formula(10000.0, t_dim), abs=2e-7)
    assert data["recovered"][1] == pytest.approx(formula(10000.0, h_dim), abs=2e-7)  # 16.5: as trained
    s = ((96 - 1) / 2 + 1) / 24.5
    ntk_w = formula(10000.0 * s ** (w_dim / (w_dim - 2)), w_dim)
    assert data["planned"][2] == pytest.approx(ntk_w, rel=1e-12)
    assert data["recovered"][2] == pytest.approx(ntk_w, abs=2e-7)


def test_temporal_axis_changes_and_spatial_axes_do_not(comfy_install, tiny_models):
    data = probe(comfy_install, tiny_models, "wan21", 42, "pi", height=4, width=4)
    t_dim, h_dim, w_dim = data["axes_dims"]
    assert data["recovered"][0] == pytest.approx([f / 2 for f in formula(10000.0, t_dim)], abs=2e-7)
    assert data["recovered"][1] == pytest.approx(formula(10000.0, h_dim), abs=2e-7)
    assert data["recovered"][2] == pytest.approx(formula(10000.0, w_dim), abs=2e-7)


def test_tasr_uses_pi_at_the_first_step_and_ntk_at_the_last(comfy_install, tiny_models):
    data = probe(comfy_install, tiny_models, "hunyuan_video", 66, "tasr", steps=4)
    assert data["calls"] >= 4
    base = formula(256.0, 16)
    assert data["recovered"][0] == pytest.approx([f / 2 for f in base], abs=2e-7)  # PI, s = 66 / 33
    ntk = formula(256.0 * 2 ** (16 / 14), 16)
    assert data["recovered_last"][0] == pytest.approx(ntk, abs=2e-7)


def test_loop_makes_component_k_turn_exactly_once_over_the_clip(comfy_install, tiny_models):
    data = probe(comfy_install, tiny_models, "wan21", 61, "loop")
    expected = formula(10000.0, 44)
    expected[5] = 2 * math.pi / 61  # period = the clip: frame 61 would be frame 0 again
    assert data["planned"][0] == pytest.approx(expected, rel=1e-13)
    assert data["recovered"][0] == pytest.approx(expected, abs=2e-7)


def test_generic_path_needs_train_len_and_then_estimates_k(comfy_install, tiny_models):
    # a video DiT with an EmbedND RoPE that the family table does not know
    refused = probe(comfy_install, tiny_models, "wan21", 61, "riflex", class_name="SomeNewVideoDiT")
    assert refused["error"].startswith(
        "RIFLEx: SomeNewVideoDiT is not in RIFLEx's family table; set train_len to its training length"
    )
    data = probe(comfy_install, tiny_models, "wan21", 61, "riflex", class_name="SomeNewVideoDiT", train_len=21)
    assert data["family"] == "generic"
    # k estimated: the first component whose period exceeds 21 latent frames is j = 4 (period 22.06)
    expected = formula(10000.0, 44)
    assert 2 * math.pi / expected[2] < 21 < 2 * math.pi / expected[3]
    expected[3] = 0.9 * 2 * math.pi / 61
    assert data["recovered"][0] == pytest.approx(expected, abs=2e-7)


def test_known_video_models_without_an_embed_nd_say_why(comfy_install, tiny_models):
    # a model ComfyUI calls GenmoMochi (here: the tiny Wan under that class name)
    refused = probe(comfy_install, tiny_models, "wan21", 61, "riflex", class_name="GenmoMochi")
    assert refused["error"].startswith(
        "RIFLEx: got a GenmoMochi model: Mochi's RoPE frequencies are learned and mixed across the t, h and w axes"
    )


@pytest.mark.parametrize(
    "family,what",
    [
        ("cogvideox", "this CogVideoX model's _get_rotary_emb is a function, not the model's own method"),
        ("cosmos1", "this Cosmos model's pos_embedder.generate_embeddings is a function, not the module's own method"),
        ("ltxv", "this LTX model's freq_grid_generator is '<lambda>', not one of LTX's own grids"),
    ],
)
def test_a_rope_replaced_by_another_node_is_refused(comfy_install, tiny_models, family, what):
    refused = probe(comfy_install, tiny_models, family, 33, "riflex", replace_rope=1, attention_mask=1)
    assert refused["error"] == f"RIFLEx: {what}; another node may have replaced it"


def test_a_cogvideox_without_rope_is_refused(comfy_install, tiny_models):
    refused = probe(comfy_install, tiny_models, "cogvideox", 33, "riflex", absolute_positions=1)
    assert refused["error"].startswith(
        "RIFLEx: this CogVideoX model uses absolute (sin-cos or learned) position embeddings, not RoPE, so "
        "RIFLEx does not apply"
    )
