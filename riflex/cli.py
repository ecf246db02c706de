"""`python -m riflex inspect`: what a method does to a model's temporal RoPE, no ComfyUI needed.
`python -m riflex check-video`: does a generated video loop back, slow down or stand still.
`python -m riflex export-api`: the API-format twin of every UI workflow in workflows/."""

from __future__ import annotations

import argparse
import json
import sys

# torch-free imports only: `run` must start without torch; the others import what they need
from .defaults import DEFAULT_SAFETY_FACTOR, DEFAULT_YARN_ALPHA, DEFAULT_YARN_BETA, METHOD_NAMES
from .families import FAMILIES, get_family
from .spec import RopeSpec


def _inspect_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="per-component table of the temporal RoPE before/after a method")
    model = p.add_argument_group("model (a family, or explicit values)")
    model.add_argument("--family", choices=list(FAMILIES), help="a known family: theta, d_t, training length, k")
    model.add_argument("--theta", type=float, help="RoPE base b")
    model.add_argument("--dim", type=int, help="temporal axis dim d_t")
    model.add_argument("--train-len", type=int, default=0, help="training length in latent frames (0 = family's)")
    model.add_argument("--temporal-compression", type=int, default=4, help="pixel frames per latent frame (VAE)")
    length = p.add_mutually_exclusive_group(required=True)
    length.add_argument("--frames", type=int, help="video length in pixel frames")
    length.add_argument("--test-len", type=int, help="video length in latent frames")
    p.add_argument("--method", choices=list(METHOD_NAMES), default="riflex")
    p.add_argument("--k", type=int, default=0, help="intrinsic component, 1-indexed (0 = auto)")
    p.add_argument("--s", type=float, default=0.0, help="extrapolation factor (0 = test/train)")
    p.add_argument("--safety-factor", type=float, default=DEFAULT_SAFETY_FACTOR)
    p.add_argument("--yarn-alpha", type=float, default=DEFAULT_YARN_ALPHA)
    p.add_argument("--yarn-beta", type=float, default=DEFAULT_YARN_BETA)
    decay = p.add_argument_group("attention decay (RIFLEx Attention Decay, UltraViCo)")
    decay.add_argument("--alpha", type=float, default=0.9, help="factor beyond the window (default %(default)s)")
    decay.add_argument(
        "--window", type=float, default=0.0, help="latent frames left alone (0 = half the training length)"
    )
    decay.add_argument("--beta", type=float, default=0.6, help="factor in the harmonic bands (default %(default)s)")
    decay.add_argument("--anchor", choices=("auto", "on", "off"), default="auto", help="first-frame anchor")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=_run_inspect)


def _check_video_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-video", help="does a generated video loop back to its start, or turn to slow motion")
    p.add_argument("file", help="the video file (.mp4, .webm, ...); decoded with PyAV")
    model = p.add_argument_group("model (a family, or explicit values; all optional)")
    model.add_argument("--family", choices=list(FAMILIES), help="a known family: theta, d_t, training length, VAE")
    model.add_argument("--theta", type=float, help="RoPE base b (with --dim: suggest k for a loop-back)")
    model.add_argument("--dim", type=int, help="temporal axis dim d_t")
    model.add_argument(
        "--temporal-compression", type=int, help="pixel frames per latent frame (default: family's, or 4)"
    )
    model.add_argument("--train-frames", type=int, help="training length in pixel frames, for the slow-motion check")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(run=_run_check_video)


def _run_check_video(args: argparse.Namespace) -> int:
    # Imported here: `inspect` needs neither numpy nor PyAV (video_io imports PyAV lazily too).
    from .video_check import check_repetition
    from .video_io import read_video_frames

    theta, dim, temporal_compression, train_frames = args.theta, args.dim, args.temporal_compression, args.train_frames
    axis_freqs, temporal_patch = None, 1
    if args.family:
        family = get_family(args.family)
        if theta is None and dim is None:  # the family's own time frequencies (LTX's are not theta's)
            spec = family.spec()
            axis_freqs, temporal_patch = spec.axis_freqs(0), spec.temporal_patch
        theta = family.theta if theta is None else theta
        dim = family.axes_dims[0] if dim is None else dim
        temporal_compression = family.temporal_compression if temporal_compression is None else temporal_compression
        train_frames = family.train_frames if train_frames is None else train_frames
    if (theta is None) != (dim is None):
        raise ValueError("RIFLEx: give --theta and --dim together (or --family) to suggest k")
    report = check_repetition(
        read_video_frames(args.file),
        temporal_compression=4 if temporal_compression is None else temporal_compression,
        train_frames=train_frames,
        theta=theta,
        dim=dim,
        axis_freqs=axis_freqs,
        temporal_patch=temporal_patch,
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(f"{args.file}: {report.verdict}")
    for key, value in report.to_dict().items():
        if key != "verdict":
            print(f"  {key}: {f'{value:.4f}' if isinstance(value, float) else value}")
    return 0


def _run_inspect(args: argparse.Namespace) -> int:
    from .decay_plan import DecaySettings, plan_decay_for_spec
    from .decay_table import decay_to_dict, decay_to_text
    from .inspect_table import plan_to_dict, plan_to_text
    from .plan import plan_temporal

    if args.family:
        family = get_family(args.family)
        spec = family.spec(
            theta=args.theta,
            axes_dims=None if args.dim is None else (args.dim,),
            train_len=args.train_len,
        )
        default_k = family.default_k
    else:
        missing = [name for name in ("theta", "dim") if getattr(args, name) is None] + (
            ["train-len"] if not args.train_len else []
        )
        if missing:
            raise ValueError(
                f"RIFLEx: without --family, give --theta, --dim and --train-len (missing: {', '.join('--' + m for m in missing)})"
            )
        spec = RopeSpec(args.theta, (args.dim,), args.train_len, temporal_compression=args.temporal_compression)
        default_k = 0
    test_len = spec.positions_from_pixel_frames(args.frames) if args.frames is not None else args.test_len
    plan = plan_temporal(
        spec,
        args.method,
        test_len,
        k=args.k,
        s=args.s,
        safety_factor=args.safety_factor,
        yarn_alpha=args.yarn_alpha,
        yarn_beta=args.yarn_beta,
        default_k=default_k,
    )
    decay = plan_decay_for_spec(
        DecaySettings(args.alpha, args.window, args.beta, args.train_len, args.anchor),
        spec,
        plan.test_len,
        plan.freqs_after,
        plan.k,
        get_family(args.family).decay_anchor if args.family else False,
    )
    if args.json:
        print(json.dumps({**plan_to_dict(plan), "decay": decay_to_dict(decay)}, indent=2))
    else:
        print(f"{plan_to_text(plan)}\n\n{decay_to_text(decay)}")
    return 0


def _run_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="submit an API-format workflow to a running ComfyUI and wait for it")
    p.add_argument("workflow", help="API-format workflow JSON (ComfyUI: Workflow > Export (API))")
    p.add_argument("--server", default="http://127.0.0.1:8188", help="ComfyUI address (default %(default)s)")
    p.add_argument("--set", action="append", default=[], metavar="NODE.INPUT=VALUE", help="override an input")
    p.add_argument("--frames", type=int, help="video length in pixel frames: sets every `length` input")
    p.add_argument("--method", choices=list(METHOD_NAMES), help="sets the method of every RIFLEx RoPE node")
    p.add_argument(
        "--sweep",
        metavar="KEY=V1,V2,...",
        help="one prompt per value; KEY is method, frames or NODE.INPUT (e.g. method=pe,riflex)",
    )
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for each prompt")
    p.set_defaults(run=_run_workflow)


def _run_workflow(args: argparse.Namespace) -> int:
    from .run_client import ComfyError, apply_overrides, run_prompt

    try:
        with open(args.workflow) as handle:
            workflow = json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        print(f"RIFLEx: cannot read the workflow {args.workflow}: {error}", file=sys.stderr)
        return 2
    if "nodes" in workflow and "links" in workflow:
        print("RIFLEx: this is a UI-format workflow; export it with Workflow > Export (API)", file=sys.stderr)
        return 2
    runs = [(None, args.set, args.frames, args.method)]
    if args.sweep:
        key, _, values = args.sweep.partition("=")
        runs = []
        for value in values.split(","):
            if key == "method":
                runs.append((value, args.set, args.frames, value))
            elif key == "frames":
                runs.append((value, args.set, int(value), args.method))
            else:
                runs.append((value, [*args.set, f"{key}={value}"], args.frames, args.method))
    try:
        for label, sets, frames, method in runs:
            prompt = apply_overrides(workflow, sets, frames=frames, method=method)
            if label is not None:
                print(f"{args.sweep.partition('=')[0]} = {label}:")
            for line in run_prompt(args.server, prompt, timeout=args.timeout):
                print(f"  {line}")
    except ComfyError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    return 0


def _export_api_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-api", help="write the API-format twin of every UI workflow (workflows/ -> workflows/api/)"
    )
    p.add_argument("ui_dir", nargs="?", default="workflows", help="folder of UI-format workflows (default %(default)s)")
    p.add_argument("--out", help="folder for the API files (default UI_DIR/api)")
    p.add_argument("--node-inputs", help="widget-order snapshot (default UI_DIR/schema/node_inputs.json)")
    p.add_argument(
        "--node-inputs-from",
        metavar="URL",
        action="append",
        help="first refresh the snapshot from running ComfyUIs, oldest first (repeat for several)",
    )
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when an API file is missing or differs")
    p.set_defaults(run=_run_export_api)


def _run_export_api(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .workflow_api import WorkflowError, capture_node_inputs, dumps, export_dir, load_node_inputs

    ui_dir = Path(args.ui_dir)
    api_dir = Path(args.out) if args.out else ui_dir / "api"
    snapshot = Path(args.node_inputs) if args.node_inputs else ui_dir / "schema" / "node_inputs.json"
    try:
        if args.node_inputs_from:
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            snapshot.write_text(dumps(capture_node_inputs(args.node_inputs_from, ui_dir)), encoding="utf-8")
            print(f"wrote {snapshot}")
        files = export_dir(ui_dir, api_dir, load_node_inputs(snapshot))
    except (OSError, WorkflowError, json.JSONDecodeError) as error:
        print(f"RIFLEx: export-api: {error}" if not str(error).startswith("RIFLEx") else error, file=sys.stderr)
        return 2
    stale = sorted(set(api_dir.glob("*.json")) - set(files)) if api_dir.is_dir() else []
    differing = [path for path, text in files.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in differing:
            print(f"out of date: {path}", file=sys.stderr)
        for path in stale:
            print(f"no UI workflow for: {path}", file=sys.stderr)
        return 1 if differing or stale else 0
    api_dir.mkdir(parents=True, exist_ok=True)
    for path in differing:
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path}")
    for path in stale:
        path.unlink()
        print(f"removed {path} (no UI workflow)")
    return 0


def _export_editor_data_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-editor-data", help="write js/decay_families.js, the family numbers of the editor's decay preview"
    )
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when the file is missing or differs")
    p.set_defaults(run=_run_export_editor_data)


def _run_export_editor_data(args: argparse.Namespace) -> int:
    from .editor_data import DECAY_JS, render_decay_js

    text = render_decay_js()
    current = DECAY_JS.read_text(encoding="utf-8") if DECAY_JS.exists() else None
    if args.check:
        if current != text:
            print(f"out of date: {DECAY_JS}", file=sys.stderr)
            return 1
        return 0
    if current != text:
        DECAY_JS.write_text(text, encoding="utf-8")
        print(f"wrote {DECAY_JS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m riflex", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _inspect_parser(sub)
    _check_video_parser(sub)
    _run_parser(sub)
    _export_api_parser(sub)
    _export_editor_data_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
