"""The runner reads what nodes show on themselves from ComfyUI's binary websocket messages (a text
event: type 3, node id length, node id, text; server.py send_progress_text) and nothing else."""

from __future__ import annotations

import struct

from riflex.headless.run_client import _node_text


def text_event(node_id: str, text: str) -> bytes:
    node = node_id.encode()
    return struct.pack(">I", 3) + struct.pack(">I", len(node)) + node + text.encode()


def test_a_text_event_gives_node_and_text():
    report = "RIFLEx riflex on wan21: 61 latent frames (241 px), train 21, s = 2.90, k = 6: theta_k 0.12328 -> 0.09270"
    assert _node_text(text_event("12", report)) == ("12", report)
    assert _node_text(text_event("7:3", "σ ok")) == ("7:3", "σ ok")  # subgraph ids, any UTF-8


def test_other_binary_messages_are_not_texts():
    assert _node_text(struct.pack(">I", 1) + struct.pack(">I", 2) + b"\x89PNG") is None  # a preview image
    assert _node_text(b"\x00\x00") is None
