"""RIFLEx Repetition Check: did the generated video loop back, slow down, or stand still?"""

from __future__ import annotations

from comfy_api.latest import io, ui

from ..riflex.families import FAMILIES
from ..riflex.video_check import check_repetition
from .resolve_model import resolve_model_or_family


class RIFLExRepetitionCheck(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return io.Schema(
            node_id="RIFLExRepetitionCheck",
            display_name="RIFLEx Repetition Check",
            category="advanced/model_patches/RIFLEx",
            description=(
                "Checks decoded video frames for the two failures of long videos: looping back to the start "
                "(and which RoPE component k that points to) and slow motion. Fast: works on small thumbnails."
            ),
            is_output_node=True,
            inputs=[
                io.Image.Input("images", tooltip="The decoded video frames (VAE Decode output)."),
                io.Combo.Input(
                    "family",
                    options=list(FAMILIES),
                    default="wan21",
                    tooltip="The model family, for its VAE's frames per latent frame, training length and RoPE "
                    "(a connected model wins).",
                ),
                io.Model.Input("model", optional=True, tooltip="Optional: the video model that made the frames."),
            ],
            outputs=[
                io.Int.Output("first_repeat_frame", tooltip="Frame where the video replays its start; -1 = none."),
                io.Int.Output("first_repeat_latent", tooltip="The same in latent frames; -1 = none."),
                io.Float.Output("repetition_score", tooltip="0 = nothing like the start again, 1 = a clear replay."),
                io.Float.Output("motion_score", tooltip="Mean frame-to-frame change (0 = still)."),
                io.Int.Output("suggested_k", tooltip="The component k whose period matches the loop; 0 = none."),
                io.String.Output("verdict", tooltip="One line: loop-back, slow motion, static, or fine."),
            ],
        )

    @classmethod
    def execute(cls, images, family, model=None) -> io.NodeOutput:
        resolved = resolve_model_or_family(model, family)
        spec = resolved.spec
        report = check_repetition(
            images.cpu().numpy(),
            temporal_compression=spec.temporal_compression,
            train_frames=spec.pixel_frames_from_positions(spec.train_len),
            theta=spec.theta,
            dim=spec.temporal_dim,
            axis_freqs=spec.axis_freqs(0),
            temporal_patch=spec.temporal_patch,
        )
        first_repeat = (
            "none"
            if report.first_repeat_frame is None
            else f"frame {report.first_repeat_frame} (latent {report.first_repeat_latent})"
        )
        text = (
            f"{report.verdict}\nfirst repeat: {first_repeat}, "
            f"repetition {report.repetition_score:.3f}, motion {report.motion_score:.4f}"
            + (f", motion after/within training {report.motion_ratio:.2f}" if report.motion_ratio is not None else "")
            + (f", suggested k {report.suggested_k}" if report.suggested_k else "")
        )
        return io.NodeOutput(
            -1 if report.first_repeat_frame is None else report.first_repeat_frame,
            -1 if report.first_repeat_latent is None else report.first_repeat_latent,
            float(report.repetition_score),
            float(report.motion_score),
            report.suggested_k or 0,
            report.verdict,
            ui=ui.PreviewText(text),
        )
