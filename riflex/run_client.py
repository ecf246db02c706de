"""`python -m riflex run`: submit an API-format workflow to a running ComfyUI and follow it.

Talks HTTP to ComfyUI (no ComfyUI import): POST /prompt, progress over the websocket when
`websocket-client` is installed (else by polling /history), then prints what the nodes
reported on the way (the RIFLEx RoPE nodes: what they applied) and where the outputs went. A
rejected prompt or an execution error is printed with the node and input named and exits 1; an
unreachable server exits 2.
"""

from __future__ import annotations

import copy
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

__all__ = ["ComfyError", "apply_overrides", "run_prompt"]


class ComfyError(Exception):
    """What went wrong, said for a user; `exit_code` 1 = the prompt failed, 2 = no server."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(prompt: dict, sets: list[str], frames: int | None = None, method: str | None = None) -> dict:
    """A copy of `prompt` with NODE.INPUT=VALUE overrides, every `length` input (video latent
    nodes, pixel frames) set to `frames` and every RIFLEx RoPE node's method set to `method`."""
    prompt = copy.deepcopy(prompt)
    for item in sets:
        target, sep, value = item.partition("=")
        node_id, dot, input_name = target.partition(".")
        if not sep or not dot:
            raise ComfyError(f"RIFLEx: --set {item!r} is not NODE.INPUT=VALUE", 2)
        if node_id not in prompt:
            raise ComfyError(
                f"RIFLEx: --set {item!r}: no node {node_id!r} in the workflow (nodes: {', '.join(prompt)})", 2
            )
        prompt[node_id].setdefault("inputs", {})[input_name] = _parse_value(value)
    for node in prompt.values():
        inputs = node.setdefault("inputs", {})
        if frames is not None and "length" in inputs and not isinstance(inputs["length"], list):
            inputs["length"] = frames
        if method is not None and node.get("class_type") == "RIFLExRoPE":
            inputs["method"] = method
    return prompt


def _request(server: str, route: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.rstrip("/") + route, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise _rejection(json.loads(error.read() or b"{}"), error.code) from None
    except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        raise ComfyError(
            f"RIFLEx: cannot reach ComfyUI at {server} ({reason}); start it with "
            "`python main.py --listen 127.0.0.1 --port 8188` or pass --server",
            2,
        ) from None


def _rejection(body: dict, status: int) -> ComfyError:
    lines = [f"RIFLEx: ComfyUI rejected the prompt (HTTP {status}): {body.get('error', {}).get('message', body)}"]
    for node_id, node in body.get("node_errors", {}).items():
        seen = set()
        for error in node.get("errors", []):
            input_name = error.get("extra_info", {}).get("input_name", "")
            details = str(error.get("details", ""))
            if error.get("type") == "custom_validation_failed":
                # ComfyUI repeats a node's own validation message once per input it checked;
                # the message itself names the input, so say it once
                input_name, details = "", details.split(" - ", 1)[-1]
            line = (
                f"  node {node_id} ({node.get('class_type', '?')})"
                + (f", input {input_name}" if input_name else "")
                + f": {error.get('message', '')}: {details}"
            )
            if line not in seen:
                seen.add(line)
                lines.append(line)
    return ComfyError("\n".join(lines), 1)


def _progress(value: int, maximum: int, node: str) -> None:
    width = 30
    done = int(width * value / max(maximum, 1))
    print(
        f"\r  node {node}: [{'#' * done}{'.' * (width - done)}] {value}/{maximum}", end="", file=sys.stderr, flush=True
    )


def _open_websocket(server: str, client_id: str, timeout: float):
    """A websocket to follow progress, or None without websocket-client (then /history is polled)."""
    try:
        import websocket  # websocket-client
    except ImportError:
        return None
    url = server.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + f"/ws?clientId={client_id}"
    try:
        return websocket.create_connection(url, timeout=timeout)
    except Exception:  # progress is a courtesy: /history decides the result
        return None


# ComfyUI's binary websocket event for a text shown on a node (protocol.BinaryEventTypes.TEXT):
# 4-byte type, 4-byte node id length, node id, text. RIFLEx RoPE nodes report what they applied so.
TEXT_EVENT = 3


def _node_text(message: bytes) -> tuple[str, str] | None:
    """(node id, text) of a text-on-node event, None for any other binary message (previews)."""
    if len(message) < 8 or int.from_bytes(message[:4], "big") != TEXT_EVENT:
        return None
    length = int.from_bytes(message[4:8], "big")
    return message[8 : 8 + length].decode(errors="replace"), message[8 + length :].decode(errors="replace")


def _follow(ws, prompt_id: str) -> list[tuple[str, str]]:
    """Draw the sampler's progress until ComfyUI says the prompt has ended; returns the texts
    nodes showed on the way, in order, each once."""
    texts: list[tuple[str, str]] = []
    try:
        while True:
            message = ws.recv()
            if isinstance(message, bytes):
                text = _node_text(message)
                if text and text not in texts:
                    texts.append(text)
                continue
            event = json.loads(message)
            data = event.get("data", {})
            if data.get("prompt_id") not in (None, prompt_id):
                continue
            if event["type"] == "progress":
                _progress(data["value"], data["max"], data.get("node", "?"))
            elif event["type"] in ("execution_success", "execution_error", "execution_interrupted"):
                return texts
    except Exception:
        return texts
    finally:
        print(file=sys.stderr)
        ws.close()


def _history(server: str, prompt_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        history = _request(server, f"/history/{prompt_id}")
        entry = history.get(prompt_id)
        if entry and entry.get("status", {}).get("status_str") in ("success", "error"):
            return entry
        time.sleep(0.3)
    raise ComfyError(f"RIFLEx: prompt {prompt_id} did not finish within {timeout:.0f} s", 1)


def run_prompt(server: str, prompt: dict, timeout: float = 3600.0) -> list[str]:
    """Run one prompt to the end; returns one line per text a node showed (with the websocket)
    and per output file. Raises ComfyError."""
    client_id = uuid.uuid4().hex
    ws = _open_websocket(server, client_id, timeout)  # before submitting: no progress message is missed
    try:
        prompt_id = _request(server, "/prompt", {"prompt": prompt, "client_id": client_id})["prompt_id"]
    except ComfyError:
        if ws is not None:
            ws.close()
        raise
    texts = _follow(ws, prompt_id) if ws is not None else []
    entry = _history(server, prompt_id, timeout)
    status = entry["status"]
    if status["status_str"] != "success":
        for kind, data in status.get("messages", []):
            if kind == "execution_error":
                raise ComfyError(
                    f"RIFLEx: ComfyUI failed in node {data.get('node_id')} ({data.get('node_type')}): "
                    f"{data.get('exception_message', '').strip()}",
                    1,
                )
        raise ComfyError(f"RIFLEx: the prompt ended with status {status['status_str']}", 1)
    lines = [f"node {node_id} (reported): {text}" for node_id, text in texts]
    for node_id, outputs in entry.get("outputs", {}).items():
        for key, items in outputs.items():
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and "filename" in item:
                    parts = (item.get("type", "output"), item.get("subfolder", ""), item["filename"])
                    lines.append(f"node {node_id} ({key}): {'/'.join(p for p in parts if p)}")
    return lines
