"""`python -m riflex run` against hostile or broken servers and files, each a pretend ComfyUI
(http.server on 127.0.0.1 and a free port, in a thread, every route a function the test gives;
every loop a handler runs is bounded in count and time and stops when the server closes).

What must hold: overall deadlines (however slowly the bytes come), bounded reads, a RIFLEx:
message and the documented exit code for every odd reply or file (1 = the prompt failed,
2 = no usable ComfyUI or a bad command line), http(s) only, credentials never printed, and
server text printed with terminal control characters escaped."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from riflex.headless import run_client
from riflex.headless.run_client import ComfyError, run_prompt, terminal_safe

REPO = Path(__file__).resolve().parents[2]

PROMPT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def history(status: str = "success", outputs=None, messages=None) -> dict:
    entry = {"status": {"status_str": status, "completed": True, "messages": messages or []}, "outputs": outputs or {}}
    return {PROMPT_ID: entry}


class Handler(http.server.BaseHTTPRequestHandler):
    server: FakeServer

    def do_GET(self):
        self._answer("GET")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(length) if length else b""
        self._answer("POST")

    def _answer(self, method: str) -> None:
        self.server.seen.append((method, self.path, dict(self.headers), getattr(self, "body", b"")))
        for prefix, route in self.server.routes.items():
            if self.path.startswith(prefix):
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should
                return
        self.send(404, b"404: Not Found", "text/plain")

    def send(self, status: int, body: bytes | str | object, content_type: str = "application/json") -> None:
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def trickle(self, data: bytes, every: float, limit_s: float = 30.0) -> None:
        """Write `data` a byte at a time, `every` seconds apart, for at most limit_s."""
        end = time.monotonic() + limit_s
        for byte in data:
            if self.server.closing.is_set() or time.monotonic() > end:
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            self.server.closing.wait(every)

    def websocket(self) -> bool:
        """Accept a websocket handshake (RFC 6455); True when accepted."""
        key = self.headers.get("Sec-WebSocket-Key")
        if not key:
            return False
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode())
        self.end_headers()
        self.wfile.flush()
        return True

    def frame(self, payload: bytes | str) -> None:
        opcode = 0x1 if isinstance(payload, str) else 0x2
        data = payload.encode() if isinstance(payload, str) else payload
        header = bytes([0x80 | opcode]) + (
            bytes([len(data)]) if len(data) < 126 else bytes([126]) + struct.pack(">H", len(data))
        )
        self.wfile.write(header + data)
        self.wfile.flush()

    def log_message(self, *args):
        pass


class FakeServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Callable[[Handler], None]]):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = routes
        self.seen: list[tuple[str, str, dict, bytes]] = []
        self.closing = threading.Event()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()
        self.thread.join(5)


def json_route(body, status: int = 200, content_type: str = "application/json"):
    return lambda handler: handler.send(status, body, content_type)


def comfy_routes(**overrides) -> dict:
    """A ComfyUI that accepts the prompt and has finished it: override any route."""
    routes = {
        "/prompt": json_route({"prompt_id": PROMPT_ID, "number": 1, "node_errors": {}}),
        "/history/": json_route(history(outputs={"9": {"images": [{"filename": "a.png", "type": "output"}]}})),
    }
    routes.update(overrides)
    return routes


WORKFLOW = {"1": {"class_type": "EmptyLatentImage", "inputs": {"width": 16, "height": 16, "batch_size": 1}}}


@pytest.fixture
def fake():
    servers = []

    def start(**routes) -> FakeServer:
        server = FakeServer(comfy_routes(**routes))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def workflow_file(tmp_path):
    path = tmp_path / "wf_api.json"
    path.write_text(json.dumps(WORKFLOW))
    return path


def riflex_run(*args, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "riflex", "run", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    return result, time.monotonic() - start


def assert_clean_failure(result, exit_code: int, message: str) -> None:
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("RIFLEx: ") and "Traceback" not in result.stderr, result.stderr


def test_a_finished_prompt_prints_its_outputs(fake, workflow_file):
    server = fake()
    result, _ = riflex_run(workflow_file, "--server", server.url)
    assert result.returncode == 0, result.stderr
    assert "  node 9 (images): output/a.png" in result.stdout
    submitted = json.loads(next(body for method, path, _, body in server.seen if path == "/prompt"))
    assert submitted["prompt"] == WORKFLOW and len(submitted["client_id"]) == 32


# --- nothing frozen: overall deadlines that hold, bounded reads ---------------------------------


def trickled_body(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.trickle(b'{"prompt_id": "' + b"a" * 900 + b'"}', every=0.3)


def trickled_headers(handler):
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    handler.trickle(b"X-Slow: " + b"z" * 500 + b"\r\n\r\n{}", every=0.3)


def endless_history(handler):
    handler.send(200, {})  # never finished: the client polls until its deadline


@pytest.mark.parametrize(
    ("routes", "where"),
    [
        ({"/prompt": trickled_body}, "body of /prompt a byte every 0.3 s"),
        ({"/prompt": trickled_headers}, "headers of /prompt a byte every 0.3 s"),
        ({"/history/": trickled_body}, "body of /history"),
        ({"/history/": endless_history}, "a prompt that never ends"),
    ],
)
def test_the_timeout_holds_however_slowly_the_server_answers(fake, workflow_file, routes, where):
    server = fake(**routes)
    result, took = riflex_run(workflow_file, "--server", server.url, "--timeout", "2")
    assert_clean_failure(result, 1, "did not finish within 2 s (--timeout)")
    assert took < 8, f"{where}: took {took:.1f} s with --timeout 2"


def test_each_request_has_its_own_limit_within_a_long_timeout(fake, monkeypatch):
    # REQUEST_SECONDS (60 s) bounds one request even when --timeout is an hour; shortened here
    server = fake(**{"/prompt": trickled_body})
    monkeypatch.setattr(run_client, "REQUEST_SECONDS", 1.0)
    monkeypatch.setattr(run_client, "_open_websocket", lambda *args: None)
    start = time.monotonic()
    with pytest.raises(ComfyError) as error:
        run_prompt(server.url, WORKFLOW, timeout=3600)
    assert time.monotonic() - start < 4
    assert error.value.exit_code == 2
    assert "RIFLEx: cannot reach ComfyUI at" in str(error.value) and "no complete answer within 1 s" in str(error.value)


def websocket_that_never_stops(handler):
    if not handler.websocket():
        return
    end = time.monotonic() + 20  # bounded: the client must leave long before
    step = 0
    while time.monotonic() < end and not handler.server.closing.is_set():
        step += 1
        progress = {"type": "progress", "data": {"value": step % 10, "max": 10, "prompt_id": PROMPT_ID, "node": "3"}}
        handler.frame(json.dumps(progress))
        handler.frame(struct.pack(">II", 3, 1) + b"2" + f"text {step}".encode())
        handler.server.closing.wait(0.05)


def test_the_timeout_holds_while_the_websocket_keeps_talking(fake, workflow_file):
    server = fake(**{"/ws": websocket_that_never_stops, "/history/": endless_history})
    result, took = riflex_run(workflow_file, "--server", server.url, "--timeout", "2")
    assert any(path.startswith("/ws") for _, path, _, _ in server.seen)  # it did follow the websocket
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "node 3: [" in result.stderr  # the progress it drew while messages kept coming
    assert _last(result.stderr).startswith(f"RIFLEx: prompt {PROMPT_ID} did not finish within 2 s (--timeout)")
    assert took < 8, f"took {took:.1f} s with --timeout 2"


def _last(stderr: str) -> str:
    # the progress bar is drawn on stderr before the message
    return stderr.rsplit("\n", 2)[-2] + "\n" if stderr.count("\n") >= 2 else stderr


@pytest.mark.parametrize("route", ["/prompt", "/history/"])
@pytest.mark.parametrize("size_mb", [5, 8])
def test_a_huge_reply_is_not_read_whole(fake, workflow_file, route, size_mb):
    huge = b'{"prompt_id": "' + b"x" * (size_mb * 1024 * 1024) + b'"}'
    server = fake(**{route: lambda handler: handler.send(200, huge)})
    result, took = riflex_run(workflow_file, "--server", server.url, "--timeout", "30")
    assert_clean_failure(result, 2, f"sent more than 4 MiB for {route}")


@pytest.mark.parametrize("source", ["/dev/zero", "big"])
def test_a_huge_or_endless_workflow_file_is_not_read_whole(tmp_path, source):
    if source == "big":
        source = tmp_path / "big.json"
        source.write_bytes(b"[" + b"0," * (9 * 1024 * 1024) + b"0]")
    result, took = riflex_run(source, "--server", "http://127.0.0.1:9", "--timeout", "5")
    assert_clean_failure(result, 2, "is larger than 16 MiB")
    assert took < 20


# --- every failure a clear message ---------------------------------------------------------------

HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    ("routes", "exit_code", "message"),
    [
        (
            {"/prompt": json_route(HTML, 500, "text/html")},
            1,
            "failed on /prompt (HTTP 500 Internal Server Error): <html>",
        ),
        ({"/prompt": json_route("Server got itself in trouble", 500, "text/plain")}, 1, "Server got itself in trouble"),
        ({"/prompt": json_route(HTML, 502, "text/html")}, 2, "no ComfyUI answered behind http://127.0.0.1:"),
        ({"/prompt": json_route("", 503, "text/plain")}, 2, "(HTTP 503 Service Unavailable): an empty body"),
        ({"/prompt": json_route("nope", 404, "text/plain")}, 2, "answered /prompt with HTTP 404 Not Found: nope"),
        (
            {"/prompt": json_route(HTML, 200, "text/html")},
            2,
            "answered /prompt with something that is not JSON: <html>",
        ),
        ({"/prompt": json_route([1, 2])}, 2, 'answered /prompt with [1, 2]; ComfyUI answers {"prompt_id"'),
        ({"/prompt": json_route(json.dumps("queued"))}, 2, 'answered /prompt with "queued"'),
        ({"/prompt": json_route({"number": 1})}, 2, 'answered /prompt with {"number": 1}'),
        ({"/prompt": json_route({"prompt_id": 7})}, 2, 'answered /prompt with {"prompt_id": 7}'),
        ({"/prompt": json_route({"prompt_id": "../../view?x=1"})}, 2, "answered /prompt with"),
        ({"/prompt": json_route({"error": "bad prompt"}, 400)}, 1, "rejected the prompt (HTTP 400): bad prompt"),
        ({"/prompt": json_route({"error": {"message": "x"}, "node_errors": []}, 400)}, 1, "(HTTP 400): x"),
        (
            {
                "/prompt": json_route(
                    {"error": {}, "node_errors": {"2": {"errors": [None, "x", {"message": "m"}]}}}, 400
                )
            },
            1,
            "  node 2 (?): m: ",
        ),
        ({"/prompt": json_route(json.dumps("oops"), 400)}, 2, 'answered /prompt with HTTP 400 Bad Request: "oops"'),
        ({"/history/": json_route([PROMPT_ID])}, 2, f'answered /history/{PROMPT_ID} with ["{PROMPT_ID}"]'),
        ({"/history/": json_route({PROMPT_ID: "done"})}, 2, "ComfyUI answers {prompt id: {status"),
        ({"/history/": json_route({PROMPT_ID: {"status": "success"}})}, 2, "ComfyUI answers {prompt id: {status"),
        (
            {"/history/": json_route(history("error", messages=[["execution_error", "x"], 5]))},
            1,
            "ended with status error",
        ),
        (
            {
                "/history/": json_route(
                    history("error", messages=[["execution_error", {"node_id": "4", "node_type": "K"}]])
                )
            },
            1,
            "RIFLEx: ComfyUI failed in node 4 (K): ",
        ),
    ],
)
def test_odd_replies_are_clear_messages_with_the_documented_exit_code(fake, workflow_file, routes, exit_code, message):
    server = fake(**routes)
    result, _ = riflex_run(workflow_file, "--server", server.url, "--timeout", "10")
    assert_clean_failure(result, exit_code, message)
    assert "Expecting value" not in result.stderr


@pytest.mark.parametrize(
    "outputs",
    [
        [1, 2],
        {"9": [{"filename": "a.png"}]},
        {"9": {"images": "a.png"}},
        {"9": {"images": [None, 3, {"name": "no filename"}]}},
    ],
)
def test_odd_outputs_are_skipped_not_a_traceback(fake, workflow_file, outputs):
    server = fake(**{"/history/": json_route(history(outputs=outputs))})
    result, _ = riflex_run(workflow_file, "--server", server.url, "--timeout", "10")
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[1, 2, 3]", "is a list; an API-format workflow is an object of nodes"),
        ("42", "is a int; an API-format workflow"),
        ('"text"', "is a str; an API-format workflow"),
        ("{}", "is an empty object"),
        ('{"1": 5}', "node 1 is a int; expected an object with class_type and inputs"),
        ('{"1": {"inputs": {}}}', "node 1 has no class_type"),
        ('{"1": {"class_type": "X", "inputs": "a"}}', "node 1: inputs is a str; expected an object"),
        ('{"nodes": [], "links": []}', "is a UI-format workflow; `run` takes the API format"),
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply"),
        ('{"1": {"class_type": "X", "inputs": {"a": ' + "[" * 70 + "]" * 70 + "}}}", "nested more than 64 levels"),
        ("{not json", "is not JSON"),
    ],
)
def test_odd_workflow_files_are_clear_messages(tmp_path, content, message):
    path = tmp_path / "odd.json"
    path.write_text(content)
    result, _ = riflex_run(path, "--server", "http://127.0.0.1:9")
    assert_clean_failure(result, 2, message)
    assert str(path) in result.stderr


# --- --server: http(s) only, credentials never printed -------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "localhost:8188", "127.0.0.1:8188", "http://", "javascript:alert(1)"],
)
def test_only_http_addresses_are_used(workflow_file, address):
    result, _ = riflex_run(workflow_file, "--server", address)
    assert_clean_failure(result, 2, "give an http:// or https:// address")
    assert "root:" not in result.stdout + result.stderr  # file:///etc/passwd was never read


def raw_reply(data: bytes):
    def route(handler):
        handler.wfile.write(data)
        handler.wfile.flush()
        handler.close_connection = True

    return route


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "RIFLEx: cannot reach ComfyUI at http://127.0.0.1:"),  # closed without a word
        (b"SSH-2.0-OpenSSH_9.2\r\n", "did not answer /prompt in HTTP"),
        (
            b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 200 + b"\r\n{}",
            "did not answer /prompt in HTTP (got more than 100 headers)",
        ),
    ],
)
def test_a_server_that_does_not_speak_http_is_a_clear_message(fake, workflow_file, data, message):
    server = fake(**{"/prompt": raw_reply(data)})
    result, _ = riflex_run(workflow_file, "--server", server.url, "--timeout", "10")
    assert_clean_failure(result, 2, message)


def test_a_redirect_is_not_followed(fake, workflow_file):
    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", "file:///etc/passwd")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    server = fake(**{"/prompt": redirect})
    result, _ = riflex_run(workflow_file, "--server", server.url)
    assert_clean_failure(result, 2, "answered /prompt with HTTP 302")


def test_credentials_are_sent_as_basic_auth_and_never_printed(fake, workflow_file):
    server = fake(**{"/prompt": json_route("denied", 404, "text/plain")})
    address = server.url.replace("http://", "http://riflex%20user:s3cr%40t-pass@")
    result, _ = riflex_run(workflow_file, "--server", address)
    assert result.returncode == 2 and "s3cr" not in result.stderr + result.stdout and "riflex" not in result.stderr
    assert f"at {server.url} answered /prompt" in result.stderr
    headers = next(h for method, path, h, _ in server.seen if path == "/prompt")
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"riflex user:s3cr@t-pass").decode()


def test_credentials_are_not_printed_when_the_server_is_unreachable(workflow_file):
    result, _ = riflex_run(workflow_file, "--server", "http://admin:hunter2@127.0.0.1:9")
    assert_clean_failure(result, 2, "RIFLEx: cannot reach ComfyUI at http://127.0.0.1:9 (")
    assert "hunter2" not in result.stderr and "admin" not in result.stderr


# --- server text is printed with control characters escaped --------------------------------------

NASTY = "\x1b[2J\x1b]0;pwned\x07\rfake line\nnode 9 (images): output/x.png\u202e"


def assert_escaped(text: str, whole: bool = True) -> None:
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in text, repr(text)
    assert "\\x1b[2J" in text and (not whole or "\\u202e" in text), repr(text)


@pytest.mark.parametrize(
    "routes",
    [
        {"/prompt": json_route({"error": {"message": NASTY}, "node_errors": {}}, 400)},
        {"/prompt": json_route({"error": "e", "node_errors": {NASTY: {"errors": [{"message": NASTY}]}}}, 400)},
        {"/prompt": json_route(NASTY, 500, "text/plain")},
        {"/prompt": json_route(NASTY, 200, "text/plain")},
        {"/history/": json_route(history("error", messages=[["execution_error", {"exception_message": NASTY}]]))},
        {"/history/": json_route(history("error", messages=[["execution_error", {"node_id": NASTY, "node_type": 1}]]))},
    ],
)
def test_server_text_in_errors_is_escaped(fake, workflow_file, routes):
    server = fake(**routes)
    result, _ = riflex_run(workflow_file, "--server", server.url, "--timeout", "10")
    assert result.returncode in (1, 2)
    assert_escaped(result.stderr)
    assert result.stderr.count("\n") <= 2  # the fake line stayed inside the message


def test_server_text_in_outputs_and_node_reports_is_escaped(fake, workflow_file):
    def websocket(handler):
        if handler.websocket():
            handler.frame(struct.pack(">II", 3, 1) + b"2" + NASTY.encode())
            handler.frame(json.dumps({"type": "progress", "data": {"value": 1, "max": 2, "node": NASTY}}))
            handler.frame(json.dumps({"type": "execution_success", "data": {"prompt_id": PROMPT_ID}}))
            handler.server.closing.wait(1)

    outputs = {NASTY: {NASTY: [{"filename": NASTY, "subfolder": NASTY, "type": "output"}]}}
    server = fake(**{"/ws": websocket, "/history/": json_route(history(outputs=outputs))})
    result, _ = riflex_run(workflow_file, "--server", server.url, "--timeout", "10")
    assert result.returncode == 0, result.stderr
    assert_escaped(result.stdout)
    assert_escaped(result.stderr.replace("\r  node", "  node"), whole=False)  # the bar's own \r; a cut node id
    assert result.stdout.count("\n") == 2  # one reported text, one output


def test_terminal_safe_escapes_every_control_character_and_bounds_length():
    assert terminal_safe("a\x00b\x1bc\x7fd\x9be\nf\tg") == "a\\x00b\\x1bc\\x7fd\\x9be\\x0af\\x09g"
    assert terminal_safe("σ ok, 日本") == "σ ok, 日本"
    assert terminal_safe("x" * 50, limit=10) == "x" * 10 + "... (40 more characters)"


# --- the command line: timeout, --set, --sweep ---------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "-5", "0", "inf", "-inf"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(fake, workflow_file, value):
    server = fake()
    result, _ = riflex_run(workflow_file, "--server", server.url, f"--timeout={value}")
    assert_clean_failure(result, 2, f"RIFLEx: --timeout {float(value)} is not allowed; give a number of seconds > 0")
    assert server.seen == []  # refused before anything was sent


def test_set_on_an_unknown_node_lists_a_few_ids_of_a_huge_workflow(tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({str(i): {"class_type": "X", "inputs": {}} for i in range(5000)}))
    result, _ = riflex_run(path, "--server", "http://127.0.0.1:9", "--set", "99999.a=1")
    assert_clean_failure(result, 2, "no node '99999' in the workflow (nodes: 0, 1, 2,")
    assert "... (4980 more)" in result.stderr and len(result.stderr) < 500


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        ("method=pe,bogus", "RIFLEx: --sweep method='bogus' is not a method; allowed: riflex, pe, pi, ntk, yarn"),
        ("method=", "is not KEY=V1,V2,..."),
        ("frames=81,abc", "RIFLEx: --sweep frames= 'abc' is not allowed; give a whole number of pixel frames"),
        ("frames=0", "'0' is not allowed"),
        ("nokey", "is not KEY=V1,V2,..."),
        ("1.=3", "--set '1.=3' is not NODE.INPUT=VALUE"),
    ],
)
def test_a_bad_sweep_is_refused_before_any_prompt_is_sent(fake, workflow_file, sweep, message):
    server = fake()
    result, _ = riflex_run(workflow_file, "--server", server.url, "--sweep", sweep)
    assert_clean_failure(result, 2, message)
    assert server.seen == []


def test_bad_frames_are_refused(fake, workflow_file):
    server = fake()
    result, _ = riflex_run(workflow_file, "--server", server.url, "--frames", "0")
    assert_clean_failure(
        result, 2, "RIFLEx: --frames '0' is not allowed; give a whole number of pixel frames 1..100000"
    )
    assert server.seen == []


# --- what a user is told about the usual first-run problems ------------------------------------


def test_a_prompt_answered_from_the_cache_says_nothing_was_sampled(fake, workflow_file):
    messages = [
        ["execution_start", {"prompt_id": PROMPT_ID}],
        ["execution_cached", {"nodes": ["1"], "prompt_id": PROMPT_ID}],
        ["execution_success", {"prompt_id": PROMPT_ID}],
    ]
    server = fake(**{"/history/": json_route(history(messages=messages))})
    result, _ = riflex_run(workflow_file, "--server", server.url)
    assert result.returncode == 0, result.stderr
    assert "ComfyUI answered from its cache: nothing was sampled" in result.stdout
    # a prompt that ran its node says nothing of the kind
    ran = fake(**{"/history/": json_route(history(messages=messages[:1] + messages[2:]))})
    result, _ = riflex_run(workflow_file, "--server", ran.url)
    assert result.returncode == 0 and "cache" not in result.stdout


def rejected(node_id: str, class_type: str, error: dict):
    body = {
        "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation"},
        "node_errors": {node_id: {"class_type": class_type, "errors": [error]}},
    }
    return json_route(body, status=400)


def test_a_missing_model_of_a_shipped_workflow_names_its_folder_and_link(fake, tmp_path):
    url = "https://huggingface.co/x/y/resolve/main/split_files/diffusion_models/wan.safetensors"
    (tmp_path / "api").mkdir()
    ui = {"nodes": [{"id": 1, "type": "UNETLoader", "properties": {"models": [{"name": "wan.safetensors", "url": url, "directory": "diffusion_models"}]}}], "links": []}  # fmt: skip
    (tmp_path / "wf.json").write_text(json.dumps(ui))
    api = tmp_path / "api" / "wf.json"
    api.write_text(json.dumps({"1": {"class_type": "UNETLoader", "inputs": {"unet_name": "wan.safetensors"}}}))
    error = {
        "type": "value_not_in_list",
        "message": "Value not in list",
        "details": "unet_name: 'wan.safetensors' not in []",
        "extra_info": {"input_name": "unet_name"},
    }
    server = fake(**{"/prompt": rejected("1", "UNETLoader", error)})
    result, _ = riflex_run(api, "--server", server.url)
    assert_clean_failure(result, 1, "node 1 (UNETLoader), input unet_name: Value not in list")
    assert f"    put wan.safetensors in ComfyUI/models/diffusion_models/ (download: {url})" in result.stderr


def test_a_missing_input_video_says_which_set_replaces_it(fake, tmp_path):
    api = tmp_path / "wf_api.json"
    api.write_text(json.dumps({"7": {"class_type": "LoadVideo", "inputs": {"file": "void_source.mp4"}}}))
    error = {"type": "custom_validation_failed", "message": "Custom validation failed for node", "details": "file - Invalid video file: void_source.mp4", "extra_info": {"input_name": "file"}}  # fmt: skip
    server = fake(**{"/prompt": rejected("7", "LoadVideo", error)})
    result, _ = riflex_run(api, "--server", server.url)
    assert_clean_failure(result, 1, "Invalid video file: void_source.mp4")
    assert "give your own file: --set 7.file=NAME (a file in ComfyUI/input/)" in result.stderr


def test_a_ui_format_file_points_to_the_api_twin(tmp_path):
    path = tmp_path / "ui.json"
    path.write_text(json.dumps({"nodes": [], "links": []}))
    result, _ = riflex_run(path)
    assert_clean_failure(result, 2, "is a UI-format workflow; `run` takes the API format")
    assert "workflows/api/" in result.stderr
