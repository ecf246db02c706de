"""`python -m riflex run`: submit an API-format workflow to a running ComfyUI and follow it.

Talks HTTP to ComfyUI (no ComfyUI import): POST /prompt, progress over the websocket when
`websocket-client` is installed (else by polling /history), then prints what the nodes
reported on the way (the RIFLEx RoPE nodes: what they applied) and where the outputs went.

Exit codes: 1 = the prompt failed: ComfyUI rejected it (the node and input named), a node
failed (the node named), ComfyUI failed on it (HTTP 500), or it did not finish within
--timeout; 2 = no usable ComfyUI at --server: unreachable, silent, behind a proxy that says so
(HTTP 502-504), or answering what ComfyUI does not (HTML, another shape of JSON, an endless
reply), and a bad command line or workflow file.

Whatever the server sends is untrusted: every read is bounded in bytes and in time (each
request within REQUEST_SECONDS and within --timeout, however slowly the bytes come), every
reply is checked for the shape ComfyUI gives before it is used, and every text from it is
printed with terminal control characters escaped.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from ..errors import RIFLExError
from .hints import MEDIA_INPUTS

__all__ = ["ComfyError", "Server", "apply_overrides", "check_workflow", "parse_server", "run_prompt", "terminal_safe"]

# One request (submit, one /history poll) may take this long at most, even when --timeout is longer.
REQUEST_SECONDS = 60.0
# ComfyUI's replies to /prompt and /history/<id> are a few KB; a megabyte-sized one is not ComfyUI's.
MAX_REPLY_BYTES = 4 * 1024 * 1024
# A node may show many texts on itself (one per step): keep the first few, each cut short.
MAX_TEXTS = 200
MAX_TEXT_CHARS = 2000
# ComfyUI's prompt ids are UUIDs; an id goes into a URL path, so nothing else is accepted.
_PROMPT_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class ComfyError(RIFLExError):
    """What went wrong, said for a user; `exit_code` 1 = the prompt failed, 2 = no usable server."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def terminal_safe(text: Any, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` as one printable line: control characters (escape sequences, carriage returns,
    newlines, bidirectional overrides) shown as \\xNN / \\uNNNN, cut to `limit` characters."""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


@dataclass(frozen=True)
class Server:
    """A ComfyUI address: http(s)://host[:port][/path], credentials kept apart from it."""

    base: str  # without credentials: safe to print
    authorization: str | None = None  # "Basic ..." when the address carried user:password

    def headers(self) -> dict[str, str]:
        return {"Authorization": self.authorization} if self.authorization else {}


def parse_server(address: str) -> Server:
    """Check --server: http or https only, a host, no query or fragment. user:password in it is
    sent as basic auth and never printed. Raises ComfyError (exit 2) naming what is allowed."""
    try:
        parts = urllib.parse.urlsplit(address)
        port = parts.port
        host = parts.hostname
    except ValueError as error:
        raise ComfyError(f"RIFLEx: --server is not a valid address ({error}); give http://HOST:PORT", 2) from None
    if parts.scheme not in ("http", "https") or not host:
        shown = f"{parts.scheme}://..." if parts.scheme else terminal_safe(address, 80)
        raise ComfyError(
            f"RIFLEx: --server {shown} is not allowed; give an http:// or https:// address "
            "(default http://127.0.0.1:8188)",
            2,
        )
    if parts.query or parts.fragment:
        raise ComfyError("RIFLEx: --server must not have a query (?...) or fragment (#...); give http://HOST:PORT", 2)
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port is not None else ""
    authorization = None
    if parts.username is not None or parts.password is not None:
        user = urllib.parse.unquote(parts.username or "")
        password = urllib.parse.unquote(parts.password or "")
        authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    return Server(f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}", authorization)


def check_workflow(workflow: Any, source: str) -> dict:
    """An API-format prompt ({node id: {"class_type": ..., "inputs": {...}}}), or ComfyError (exit 2)
    naming what is wrong."""
    if isinstance(workflow, dict) and "nodes" in workflow and "links" in workflow:
        raise ComfyError(
            f"RIFLEx: {source} is a UI-format workflow; `run` takes the API format: for a shipped workflow its "
            "twin in workflows/api/ (same file name), for your own Workflow > Export (API)",
            2,
        )
    if not isinstance(workflow, dict) or not workflow:
        what = "an empty object" if workflow == {} else f"a {type(workflow).__name__}"
        raise ComfyError(
            f"RIFLEx: {source} is {what}; an API-format workflow is an object of nodes "
            '({"1": {"class_type": ..., "inputs": {...}}, ...}): Workflow > Export (API)',
            2,
        )
    for node_id, node in workflow.items():
        where = f"RIFLEx: {source}: node {terminal_safe(node_id, 40)}"
        if not isinstance(node, dict):
            raise ComfyError(f"{where} is a {type(node).__name__}; expected an object with class_type and inputs", 2)
        if not isinstance(node.get("class_type"), str) or not node["class_type"]:
            raise ComfyError(f"{where} has no class_type (the node's type name)", 2)
        if not isinstance(node.get("inputs", {}), dict):
            raise ComfyError(f"{where}: inputs is a {type(node['inputs']).__name__}; expected an object", 2)
    return workflow


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def _listed(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(terminal_safe(name, 40) for name in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def apply_overrides(prompt: dict, sets: list[str], frames: int | None = None, method: str | None = None) -> dict:
    """A copy of `prompt` with NODE.INPUT=VALUE overrides, every `length` input (video latent
    nodes, pixel frames) set to `frames` and every RIFLEx RoPE node's method set to `method`."""
    prompt = copy.deepcopy(prompt)
    for item in sets:
        target, sep, value = item.partition("=")
        node_id, dot, input_name = target.partition(".")
        if not sep or not dot or not node_id or not input_name:
            raise ComfyError(f"RIFLEx: --set {terminal_safe(item, 80)!r} is not NODE.INPUT=VALUE", 2)
        if node_id not in prompt:
            raise ComfyError(
                f"RIFLEx: --set {terminal_safe(item, 80)!r}: no node {terminal_safe(node_id, 40)!r} in the workflow "
                f"(nodes: {_listed(list(prompt))})",
                2,
            )
        prompt[node_id].setdefault("inputs", {})[input_name] = _parse_value(value)
    for node in prompt.values():
        inputs = node.setdefault("inputs", {})
        if frames is not None and "length" in inputs and not isinstance(inputs["length"], list):
            inputs["length"] = frames
        if method is not None and node.get("class_type") == "RIFLExRoPE":
            inputs["method"] = method
    return prompt


class _Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # ComfyUI's API never redirects; following one could lead to another scheme or host
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _read_bounded(response, route: str, server: Server) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = response.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise ComfyError(
                f"RIFLEx: the server at {server.base} sent more than {MAX_REPLY_BYTES // (1024 * 1024)} MiB for "
                f"{route}; ComfyUI's replies are a few KB: is --server a ComfyUI?",
                2,
            )
        chunks.append(chunk)


def _exchange(server: Server, route: str, body: dict | None, seconds: float) -> tuple[int, str, bytes]:
    """(HTTP status, reason, body) of one request, all of it within `seconds` however slowly the
    server answers: the request runs in a worker thread the caller stops waiting for."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.base + route, data=data, headers={"Content-Type": "application/json", **server.headers()}
    )
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            with _OPENER.open(request, timeout=max(seconds, 0.001)) as response:
                result["answer"] = (response.status, response.reason, _read_bounded(response, route, server))
        except urllib.error.HTTPError as error:
            try:
                result["answer"] = (error.code, str(error.reason), _read_bounded(error, route, server))
            except Exception as inner:  # reported by the caller
                result["error"] = inner
            finally:
                error.close()
        except BaseException as error:  # reported by the caller
            result["error"] = error

    worker = threading.Thread(target=work, name=f"riflex-run {route}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no complete answer within {seconds:.0f} s")
    if "error" in result:
        raise result["error"]
    return result["answer"]


def _request(server: Server, route: str, body: dict | None, deadline: _Deadline) -> Any:
    """The JSON ComfyUI answers to one request; ComfyError for anything else."""
    seconds = min(REQUEST_SECONDS, deadline.remaining())
    if seconds <= 0:
        raise _timed_out(deadline)
    try:
        status, reason, data = _exchange(server, route, body, seconds)
    except ComfyError:
        raise
    except (urllib.error.URLError, OSError) as error:
        if isinstance(error, TimeoutError) and deadline.remaining() <= 0:
            raise _timed_out(deadline) from None
        reason = terminal_safe(getattr(error, "reason", error), 200)
        raise ComfyError(
            f"RIFLEx: cannot reach ComfyUI at {server.base} ({reason}); start it with "
            "`python main.py --listen 127.0.0.1 --port 8188` or pass --server",
            2,
        ) from None
    except Exception as error:  # http.client's own (a garbled status line, bad headers)
        raise ComfyError(
            f"RIFLEx: the server at {server.base} did not answer {route} in HTTP ({terminal_safe(error, 200)}); "
            "is --server a ComfyUI?",
            2,
        ) from None
    try:
        reply = json.loads(data)
    except (ValueError, RecursionError):
        reply = None
        excerpt = terminal_safe(data.decode("utf-8", errors="replace").strip(), 200) or "an empty body"
    if 200 <= status < 300 and reply is not None:
        return reply
    if status == 400 and isinstance(reply, dict):
        rejection = _rejection(reply, status)
        rejection.reply = reply  # run_prompt adds what to do about missing files, knowing the prompt
        raise rejection
    head = f"HTTP {status} {terminal_safe(reason, 80)}".strip()
    said = f": {terminal_safe(json.dumps(reply), 200)}" if reply is not None else f": {excerpt}"
    if status == 500:
        raise ComfyError(f"RIFLEx: ComfyUI at {server.base} failed on {route} ({head}){said}", 1)
    if status in (502, 503, 504):
        raise ComfyError(f"RIFLEx: no ComfyUI answered behind {server.base} ({head}){said}", 2)
    if 200 <= status < 300:
        raise ComfyError(
            f"RIFLEx: the server at {server.base} answered {route} with something that is not JSON{said}; "
            "is --server a ComfyUI?",
            2,
        )
    raise ComfyError(
        f"RIFLEx: the server at {server.base} answered {route} with {head}{said}; is --server a ComfyUI?", 2
    )


def _unexpected(server: Server, route: str, reply: Any, expected: str) -> ComfyError:
    return ComfyError(
        f"RIFLEx: the server at {server.base} answered {route} with {terminal_safe(json.dumps(reply), 200)}; "
        f"ComfyUI answers {expected}: is --server a ComfyUI?",
        2,
    )


def _timed_out(deadline: _Deadline, prompt_id: str | None = None) -> ComfyError:
    what = f"prompt {prompt_id}" if prompt_id else "the prompt"
    return ComfyError(
        f"RIFLEx: {what} did not finish within {deadline.seconds:g} s (--timeout); "
        "ComfyUI may still be running it: give a longer --timeout",
        1,
    )


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _hints(node: dict, node_id: str, input_name: str, details: str, prompt: dict, models: dict) -> list[str]:
    """What to do about a missing file: its models/ folder and download link, or the --set for an
    input file."""
    inputs = _as_dict(_as_dict(prompt.get(node_id)).get("inputs"))
    names = [input_name] if input_name else list(inputs)
    for name in names:
        value = inputs.get(name)
        if isinstance(value, str) and value in models and value in details:
            folder, url = models[value]
            return [f"    put {value} in ComfyUI/models/{folder}/ (download: {url})"]
    media_input = MEDIA_INPUTS.get(str(node.get("class_type")))
    if media_input and (not input_name or input_name == media_input):
        return [f"    give your own file: --set {node_id}.{media_input}=NAME (a file in ComfyUI/input/)"]
    return []


def _rejection(body: dict, status: int, prompt: dict | None = None, models: dict | None = None) -> ComfyError:
    error = body.get("error")
    message = _as_dict(error).get("message", error if error is not None else body)
    lines = [f"RIFLEx: ComfyUI rejected the prompt (HTTP {status}): {terminal_safe(message, 500)}"]
    for node_id, node in list(_as_dict(body.get("node_errors")).items())[:50]:
        node = _as_dict(node)
        errors = node.get("errors")
        seen = set()
        for error in errors if isinstance(errors, list) else []:
            error = _as_dict(error)
            input_name = str(_as_dict(error.get("extra_info")).get("input_name", ""))
            details = str(error.get("details", ""))
            if error.get("type") == "custom_validation_failed":
                # ComfyUI repeats a node's own validation message once per input it checked;
                # the message itself names the input, so say it once
                input_name, details = "", details.split(" - ", 1)[-1]
            line = terminal_safe(
                f"  node {node_id} ({node.get('class_type', '?')})"
                + (f", input {input_name}" if input_name else "")
                + f": {error.get('message', '')}: {details}",
                1000,
            )
            if line not in seen:
                seen.add(line)
                lines.append(line)
                for hint in _hints(node, str(node_id), input_name, details, prompt or {}, models or {}):
                    if hint not in seen:
                        seen.add(hint)
                        lines.append(terminal_safe(hint, 1000))
    return ComfyError("\n".join(lines), 1)


def _progress(value: int, maximum: int, node: str) -> None:
    width = 30
    done = min(width, max(0, int(width * value / max(maximum, 1))))
    print(
        f"\r  node {terminal_safe(node, 40)}: [{'#' * done}{'.' * (width - done)}] {value}/{maximum}",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _open_websocket(server: Server, client_id: str, deadline: _Deadline):
    """A websocket to follow progress, or None without websocket-client (then /history is polled)."""
    try:
        import websocket  # websocket-client
    except ImportError:
        return None
    url = "ws" + server.base.removeprefix("http") + f"/ws?clientId={client_id}"
    header = [f"Authorization: {server.authorization}"] if server.authorization else None
    try:
        return websocket.create_connection(
            url, timeout=max(0.001, min(REQUEST_SECONDS, deadline.remaining())), header=header
        )
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


def _follow(ws, prompt_id: str, deadline: _Deadline) -> list[tuple[str, str]]:
    """Draw the sampler's progress until ComfyUI says the prompt has ended or the deadline
    passes; returns the texts nodes showed on the way, in order, each once."""
    texts: list[tuple[str, str]] = []
    # a server that keeps sending (or trickles one frame) would hold recv() past any per-call
    # timeout: at the deadline the socket is shut, which ends the wait
    watchdog = threading.Timer(max(0.0, deadline.remaining()), ws.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        while deadline.remaining() > 0:
            ws.settimeout(max(0.001, deadline.remaining()))
            message = ws.recv()
            if isinstance(message, bytes):
                text = _node_text(message)
                if text and text not in texts and len(texts) < MAX_TEXTS:
                    texts.append(text)
                continue
            event = json.loads(message)
            if not isinstance(event, dict):
                continue
            data = _as_dict(event.get("data"))
            if data.get("prompt_id") not in (None, prompt_id):
                continue
            value, maximum = data.get("value"), data.get("max")
            if event.get("type") == "progress" and isinstance(value, int) and isinstance(maximum, int):
                _progress(value, maximum, str(data.get("node", "?")))
            elif event.get("type") in ("execution_success", "execution_error", "execution_interrupted"):
                return texts
    except Exception:  # progress is a courtesy: /history decides the result
        return texts
    finally:
        watchdog.cancel()
        print(file=sys.stderr)
        try:
            ws.close(timeout=1)
        except Exception:
            pass
    return texts


def _history(server: Server, prompt_id: str, deadline: _Deadline) -> dict:
    route = f"/history/{prompt_id}"
    while deadline.remaining() > 0:
        history = _request(server, route, None, deadline)
        if not isinstance(history, dict):
            raise _unexpected(server, route, history, "an object {prompt id: entry}")
        entry = history.get(prompt_id)
        if entry is not None:
            if not isinstance(entry, dict) or not isinstance(entry.get("status", {}), dict):
                raise _unexpected(server, route, history, "{prompt id: {status: {...}, outputs: {...}}}")
            if entry.get("status", {}).get("status_str") in ("success", "error"):
                return entry
        time.sleep(max(0.0, min(0.3, deadline.remaining())))
    raise _timed_out(deadline, prompt_id)


def _all_cached(status: dict, prompt: dict) -> bool:
    """Whether ComfyUI ran no node of the prompt: its status lists every node as cached
    (["execution_cached", {"nodes": [...]}]) and none as executed."""
    cached: set[str] = set()
    messages = status.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, list) and len(message) == 2 and message[0] == "execution_cached":
            nodes = _as_dict(message[1]).get("nodes")
            cached.update(str(node) for node in (nodes if isinstance(nodes, list) else []))
    return bool(cached) and set(prompt) <= cached


def run_prompt(
    server: Server | str, prompt: dict, timeout: float = 3600.0, models: dict[str, tuple[str, str]] | None = None
) -> list[str]:
    """Run one prompt to the end within `timeout` seconds; returns one line per text a node
    showed (with the websocket) and per output file, every server text made terminal-safe.
    models: {file name: (models/ subfolder, url)}, to say where a missing model goes.
    Raises ComfyError."""
    if isinstance(server, str):
        server = parse_server(server)
    deadline = _Deadline(timeout)
    client_id = uuid.uuid4().hex
    ws = _open_websocket(server, client_id, deadline)  # before submitting: no progress message is missed
    try:
        reply = _request(server, "/prompt", {"prompt": prompt, "client_id": client_id}, deadline)
    except ComfyError as error:
        if ws is not None:
            ws.close()
        if getattr(error, "reply", None) is not None:
            raise _rejection(error.reply, 400, prompt, models) from None
        raise
    prompt_id = reply.get("prompt_id") if isinstance(reply, dict) else None
    if not isinstance(prompt_id, str) or not _PROMPT_ID.fullmatch(prompt_id):
        if ws is not None:
            ws.close()
        raise _unexpected(server, "/prompt", reply, '{"prompt_id": "<uuid>", ...}')
    texts = _follow(ws, prompt_id, deadline) if ws is not None else []
    entry = _history(server, prompt_id, deadline)
    status = entry["status"]
    if status["status_str"] != "success":
        messages = status.get("messages")
        for message in messages if isinstance(messages, list) else []:
            if not (isinstance(message, list) and len(message) == 2 and isinstance(message[1], dict)):
                continue
            kind, data = message
            if kind == "execution_error":
                raise ComfyError(
                    terminal_safe(
                        f"RIFLEx: ComfyUI failed in node {data.get('node_id')} ({data.get('node_type')}): "
                        f"{str(data.get('exception_message', '')).strip()}",
                        1000,
                    ),
                    1,
                )
        raise ComfyError(f"RIFLEx: the prompt ended with status {terminal_safe(status['status_str'], 80)}", 1)
    lines = [f"node {terminal_safe(node_id, 40)} (reported): {terminal_safe(text)}" for node_id, text in texts]
    if _all_cached(status, prompt):
        lines.append(
            "ComfyUI answered from its cache: nothing was sampled, the outputs below are the earlier run's "
            "(change the seed or any input to sample again)"
        )
    for node_id, outputs in _as_dict(entry.get("outputs")).items():
        for key, items in _as_dict(outputs).items():
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and "filename" in item:
                    parts = (item.get("type", "output"), item.get("subfolder", ""), item["filename"])
                    path = "/".join(str(p) for p in parts if p)
                    lines.append(f"node {terminal_safe(node_id, 40)} ({terminal_safe(key, 40)}): {terminal_safe(path)}")
    return lines
