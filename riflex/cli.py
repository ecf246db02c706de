"""`python -m riflex` (or `riflex`, the console script `pip install -e .` installs): inspect shows
what a method does to a model's temporal RoPE (needs torch, no ComfyUI); check-video tells whether
a generated video loops back, slows down or stands still (needs torch, numpy, av); run submits an
API-format workflow to a running ComfyUI (standard library only); export-api writes the
API-format twin of every UI workflow in workflows/; export-editor-data writes the editor's data
files from riflex/."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

# torch-free imports only: `run` must start without torch; the others import what they need
from .defaults import DEFAULT_SAFETY_FACTOR, DEFAULT_YARN_ALPHA, DEFAULT_YARN_BETA, METHOD_NAMES
from .errors import RIFLExError
from .families import FAMILIES, get_family
from .spec import RopeSpec


def _number(text: str) -> int | float:
    """An int, or a float where the text is one ("1e29", "nan"): the range checks then name the
    flag and what it allows instead of argparse's "invalid int value" or a traceback later."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"RIFLEx: {text!r} is not a number") from None


# what inspect accepts besides the node's settings (riflex/limits.py): wide enough for any
# video DiT, narrow enough that the table stays finite and small
INSPECT_RANGES = {
    "theta": (1.0, 1e12),  # exclusive at 1: theta^(-2j/d) must fall
    "dim": (2, 2048),
    "temporal_compression": (1, 64),
    "frames": (1, 10_000_000),
    "test_len": (1, 10_000_000),
}


def _inspect_problem(args: argparse.Namespace) -> str | None:
    from .limits import settings_problem

    for name, (low, high) in INSPECT_RANGES.items():
        value = getattr(args, name)
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if name == "theta":
            if not (isinstance(value, (int, float)) and math.isfinite(value) and low < value <= high):
                return (
                    f"RIFLEx: {flag} {value} is not allowed; give the RoPE base, a finite number > 1 (at most {high:g})"
                )
        elif not (isinstance(value, int) and low <= value <= high) or (name == "dim" and value % 2):
            what = "an even whole number" if name == "dim" else "a whole number"
            return f"RIFLEx: {flag} {value} is not allowed; give {what} from {low} to {high}"
    values = {
        "method": args.method,
        "k": args.k,
        "s": args.s,
        "train_len": args.train_len,
        "safety_factor": args.safety_factor,
        "yarn_alpha": args.yarn_alpha,
        "yarn_beta": args.yarn_beta,
    }
    return settings_problem(values, flag=True)


def _inspect_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="per-component table of the temporal RoPE before/after a method")
    model = p.add_argument_group("model (a family, or explicit values)")
    model.add_argument("--family", choices=list(FAMILIES), help="a known family: theta, d_t, training length, k")
    model.add_argument("--theta", type=_number, help="RoPE base b")
    model.add_argument("--dim", type=_number, help="temporal axis dim d_t")
    model.add_argument("--train-len", type=_number, default=0, help="training length in latent frames (0 = family's)")
    model.add_argument("--temporal-compression", type=_number, default=4, help="pixel frames per latent frame (VAE)")
    length = p.add_mutually_exclusive_group(required=True)
    length.add_argument("--frames", type=_number, help="video length in pixel frames")
    length.add_argument("--test-len", type=_number, help="video length in latent frames")
    p.add_argument("--method", choices=list(METHOD_NAMES), default="riflex")
    p.add_argument("--k", type=_number, default=0, help="intrinsic component, 1-indexed (0 = auto)")
    p.add_argument("--s", type=_number, default=0.0, help="extrapolation factor (0 = test/train)")
    p.add_argument("--safety-factor", type=_number, default=DEFAULT_SAFETY_FACTOR)
    p.add_argument("--yarn-alpha", type=_number, default=DEFAULT_YARN_ALPHA)
    p.add_argument("--yarn-beta", type=_number, default=DEFAULT_YARN_BETA)
    decay = p.add_argument_group("attention decay (RIFLEx Attention Decay, UltraViCo)")
    decay.add_argument("--alpha", type=_number, default=0.9, help="factor beyond the window (default %(default)s)")
    decay.add_argument(
        "--window", type=_number, default=0.0, help="latent frames left alone (0 = half the training length)"
    )
    decay.add_argument("--beta", type=_number, default=0.6, help="factor in the harmonic bands (default %(default)s)")
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
    from .video_check import check_settings, check_thumbnails
    from .video_io import read_video_thumbnails

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
        raise RIFLExError("RIFLEx: give --theta and --dim together (or --family) to suggest k")
    temporal_compression = 4 if temporal_compression is None else temporal_compression
    if theta is not None and not (math.isfinite(theta) and 1 < theta <= INSPECT_RANGES["theta"][1]):
        raise RIFLExError(f"RIFLEx: --theta {theta} is not allowed; give the RoPE base, a finite number > 1")
    check_settings(temporal_compression, train_frames, theta, dim)  # before decoding a frame
    # thumbnails as the file is decoded: memory flat in the clip's length
    report = check_thumbnails(
        read_video_thumbnails(args.file),
        temporal_compression=temporal_compression,
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
    from .methods import MethodParams
    from .plan import plan_temporal

    problem = _inspect_problem(args)
    if problem:
        raise RIFLExError(problem)
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
            raise RIFLExError(
                f"RIFLEx: without --family, give --theta, --dim and --train-len (missing: {', '.join('--' + m for m in missing)})"
            )
        spec = RopeSpec(args.theta, (args.dim,), args.train_len, temporal_compression=args.temporal_compression)
        default_k = 0
    test_len = spec.positions_from_pixel_frames(args.frames) if args.frames is not None else args.test_len
    if args.frames is not None and spec.pixel_frames_from_positions(test_len) != args.frames:
        # the VAE makes whole latent frames: a length between two is what the latent node rounds to
        print(
            f"RIFLEx: --frames {args.frames} is not a length the model makes; its latent holds {test_len} "
            f"{spec.time_unit}, {spec.pixel_frames_from_positions(test_len)} frames once decoded (shown below)",
            file=sys.stderr,
        )
    plan = plan_temporal(
        spec,
        args.method,
        test_len,
        MethodParams(
            k=args.k, s=args.s, safety_factor=args.safety_factor, yarn_alpha=args.yarn_alpha, yarn_beta=args.yarn_beta
        ),
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
        print(json.dumps({**plan_to_dict(plan, args.family or ""), "decay": decay_to_dict(decay)}, indent=2))
    else:
        print(f"{plan_to_text(plan, args.family or '')}\n\n{decay_to_text(decay)}")
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


MAX_WORKFLOW_BYTES = 16 * 1024 * 1024  # an API workflow is a few KB; /dev/zero is not one
MAX_RUN_FRAMES = 100_000


def _frames_value(text: str, what: str) -> int:
    try:
        frames = int(text)
    except ValueError:
        frames = None
    if frames is None or not 1 <= frames <= MAX_RUN_FRAMES:
        raise RIFLExError(
            f"RIFLEx: {what} {text!r} is not allowed; give a whole number of pixel frames 1..{MAX_RUN_FRAMES}"
        )
    return frames


def _run_workflow(args: argparse.Namespace) -> int:
    import math

    from .headless.hints import model_hints
    from .headless.run_client import (
        ComfyError,
        apply_overrides,
        check_workflow,
        parse_server,
        run_prompt,
        terminal_safe,
    )
    from .headless.workflow_api import WorkflowError, read_json

    try:
        if not (math.isfinite(args.timeout) and args.timeout > 0):
            raise RIFLExError(f"RIFLEx: --timeout {args.timeout} is not allowed; give a number of seconds > 0")
        if args.frames is not None:
            _frames_value(str(args.frames), "--frames")
        server = parse_server(args.server)
        try:
            workflow = read_json(args.workflow, MAX_WORKFLOW_BYTES)
        except WorkflowError as error:
            raise ComfyError(f"{error} (cannot read the workflow)", 2) from None
        workflow = check_workflow(workflow, terminal_safe(args.workflow, 200))
        models = model_hints(args.workflow)  # a shipped API workflow: where each model goes
        runs = [(None, args.set, args.frames, args.method)]
        if args.sweep:
            key, sep, values = args.sweep.partition("=")
            if not sep or not key or not values:
                raise RIFLExError(
                    f"RIFLEx: --sweep {args.sweep!r} is not KEY=V1,V2,...; KEY is method, frames or NODE.INPUT"
                )
            runs = []
            for value in values.split(","):
                if key == "method":
                    if value not in METHOD_NAMES:
                        raise RIFLExError(
                            f"RIFLEx: --sweep method={value!r} is not a method; allowed: {', '.join(METHOD_NAMES)}"
                        )
                    runs.append((value, args.set, args.frames, value))
                elif key == "frames":
                    runs.append((value, args.set, _frames_value(value, "--sweep frames="), args.method))
                else:
                    runs.append((value, [*args.set, f"{key}={value}"], args.frames, args.method))
        prompts = [
            (label, apply_overrides(workflow, sets, frames=frames, method=method))
            for label, sets, frames, method in runs
        ]
        for label, prompt in prompts:
            if label is not None:
                print(f"{terminal_safe(args.sweep.partition('=')[0], 80)} = {terminal_safe(label, 80)}:")
            for line in run_prompt(server, prompt, timeout=args.timeout, models=models):
                print(f"  {line}")
    except ComfyError as error:
        print(error, file=sys.stderr)
        return error.exit_code
    return 0


def _export_api_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-api", help="write the API-format twin of every UI workflow (workflows/ -> workflows/api/)"
    )
    p.add_argument(
        "ui_dir", nargs="?", default=None, help="folder of UI-format workflows (default: this pack's workflows/)"
    )
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

    from .headless.workflow_api import (
        PACK_WORKFLOWS,
        WorkflowError,
        capture_node_inputs,
        check_output_dir,
        check_replaceable,
        dumps,
        export_dir,
        is_snapshot,
        load_node_inputs,
        write_file,
    )

    # the pack's own folder by default, wherever the command runs (ComfyUI's folder, a shell's home)
    ui_dir = Path(args.ui_dir) if args.ui_dir is not None else PACK_WORKFLOWS
    api_dir = Path(args.out) if args.out else ui_dir / "api"
    snapshot = Path(args.node_inputs) if args.node_inputs else ui_dir / "schema" / "node_inputs.json"
    try:
        if not ui_dir.is_dir():
            raise WorkflowError(f"RIFLEx: {ui_dir} is not a folder; give the folder of the UI workflows")
        check_output_dir(ui_dir, api_dir)
        if args.node_inputs_from:
            check_replaceable(snapshot, is_snapshot)  # before asking any server
            snapshot.parent.mkdir(parents=True, exist_ok=True)
            write_file(snapshot, dumps(capture_node_inputs(args.node_inputs_from, ui_dir)), owned=is_snapshot)
            print(f"wrote {snapshot}")
        files = export_dir(ui_dir, api_dir, load_node_inputs(snapshot))
        stale = sorted(set(api_dir.glob("*.json")) - set(files)) if api_dir.is_dir() else []
        differing = [
            path
            for path, text in files.items()
            if path.is_symlink() or not path.is_file() or path.read_text(encoding="utf-8") != text
        ]
        if args.check:
            for path in differing:
                print(f"out of date: {path}", file=sys.stderr)
            for path in stale:
                print(f"no UI workflow for: {path}", file=sys.stderr)
            if not differing and not stale:
                print(f"up to date: {len(files)} API workflows in {api_dir}")
            return 1 if differing or stale else 0
        for path in differing:  # all refusals before the first write: never half an export
            check_replaceable(path)
        api_dir.mkdir(parents=True, exist_ok=True)
        for path in differing:
            write_file(path, files[path])
            print(f"wrote {path}")
    except (OSError, WorkflowError) as error:
        message = str(error) if str(error).startswith("RIFLEx") else f"RIFLEx: export-api: {error}"
        print(message, file=sys.stderr)
        return 2
    for path in stale:  # not deleted: export-api removes nothing, it may not have written it
        print(f"no UI workflow for: {path} (left in place; delete it if it is an old API twin)")
    return 0


def _export_editor_data_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-editor-data",
        help="write js/rope_preview_data.js, js/length_zones.js and js/decay_families.js, the numbers of the editor's previews",
    )
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when a file is missing or differs")
    p.set_defaults(run=_run_export_editor_data)


def _run_export_editor_data(args: argparse.Namespace) -> int:
    from .editor_data import editor_files

    files = editor_files()
    stale = [path for path, text in files.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path}", file=sys.stderr)
        if not stale:
            print("editor data up to date")
        return 1 if stale else 0
    for path in stale:
        path.write_text(files[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


# what each command imports beyond the standard library (run and export-api: nothing); ComfyUI's
# own Python has all of it
NEEDS = {"inspect": ("torch",), "check-video": ("torch", "numpy", "av")}


def _missing_message(command: str, error: ModuleNotFoundError) -> str | None:
    """A `RIFLEx:` message for a command started without what it needs, or None (a bug: re-raise)."""
    import importlib.util

    needs = NEEDS.get(command, ())
    if error.name not in needs:
        return None

    def lacks(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is None
        except ValueError:  # in sys.modules as None: import blocked
            return True

    missing = [name for name in needs if lacks(name)] or [error.name]
    extra = " (or `pip install -e .[video]` in the pack's folder)" if command == "check-video" else ""
    return (
        f"RIFLEx: `{command}` needs {', '.join(needs)}; this Python ({sys.executable}) lacks {', '.join(missing)}: "
        f"run it with ComfyUI's Python, which has them, or `pip install {' '.join(missing)}`{extra}"
    )


def main(argv: list[str] | None = None) -> int:
    # the console script (`riflex`, from `pip install -e .`) or `python -m riflex`
    prog = "riflex" if Path(sys.argv[0]).name == "riflex" else "python -m riflex"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _inspect_parser(sub)
    _check_video_parser(sub)
    _run_parser(sub)
    _export_api_parser(sub)
    _export_editor_data_parser(sub)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ModuleNotFoundError as error:
        message = _missing_message(args.command, error)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 2
    except RIFLExError as error:  # bad input, said in one line; any other error is a bug: traceback
        print(error, file=sys.stderr)
        return 2
