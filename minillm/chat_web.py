"""The chatbot's web front end (lesson 12, the chatbot): `minillm serve-chat`, a page on 127.0.0.1 whose replies
stream in token by token.

The page is served by the standard library's `http.server.ThreadingHTTPServer`: no new dependency, and the
page needs only three routes and one streamed answer, which HTTP/1.1's chunked encoding gives for free (one JSON
object a line, read by the page with `fetch`). Each request gets a thread; the model answers one request at a time
behind a lock (two replies at once would not come faster on a CPU's few cores), so other requests wait their
turn. Each browser tab makes itself a session id and sends it with every request; the sessions live in a
`bot.SessionStore` with a cap.
"""

import argparse
import http.server
import json
import logging
import signal
import sys
import threading
import time
from urllib.parse import urlsplit

from minillm.bot import BotReply, Chatbot, SessionStore
from minillm.chat_app import SETTING_RANGES, add_common_arguments, changed_settings, chatbot_from_args, with_settings
from minillm.errors import UserError
from minillm.sample import GenerationConfig
from minillm.screen import MAX_MESSAGE_CHARS, check_message

DEFAULT_PORT = 8008
MAX_BODY_BYTES = 16_384  # a request with a message of MAX_MESSAGE_CHARS four-byte characters fits
ROUTES = {"/": {"GET": "page"}, "/api/chat": {"POST": "chat"}, "/api/reset": {"POST": "reset"}}  # -> handler

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- the web page

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minillm chat</title>
<link rel="icon" href="data:,">
<style>
body { font: 16px/1.45 system-ui, sans-serif; margin: 0; background: #f4f4f6; color: #222; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem; min-height: 100vh; box-sizing: border-box;
       display: flex; flex-direction: column; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
h1 { font-size: 1.2rem; margin: 0; flex: 1; }
h1 small { font-weight: normal; color: #666; }
label { font-size: .85rem; }
input { width: 4.5rem; }
#log { flex: 1; margin: 1rem 0; display: flex; flex-direction: column; gap: .6rem; }
.msg { padding: .55rem .8rem; border-radius: .7rem; max-width: 85%; white-space: pre-wrap; overflow-wrap: anywhere; }
.user { align-self: flex-end; background: #2f6fde; color: #fff; }
.bot { align-self: flex-start; background: #fff; border: 1px solid #ddd; }
.bot.pending::after { content: "\\2026"; color: #999; }
.refusal { background: #fff4e5; border-color: #e8a23a; }
.refusal::before { content: "Refused by the guardrail: "; font-weight: 600; color: #a35d00; }
.replaced::before { content: "Replaced by the output guardrail: "; font-weight: 600; color: #a35d00; }
.error { align-self: flex-start; background: #fdecea; border: 1px solid #d9534f; color: #8a1f1b; }
.note { font-size: .8rem; color: #666; }
form { display: flex; gap: .5rem; }
textarea { flex: 1; resize: vertical; font: inherit; padding: .5rem; }
</style>
</head>
<body>
<main>
<header>
  <h1>minillm chat <small id="model"></small></h1>
  <label>temperature <input id="temperature" type="number" step="0.1"></label>
  <label>top-p <input id="top_p" type="number" step="0.05"></label>
  <label>max tokens <input id="max_new_tokens" type="number" step="1"></label>
  <button id="reset" type="button">Reset</button>
</header>
<div id="log" aria-live="polite"></div>
<div id="stats" class="note"></div>
<form id="form">
  <textarea id="message" rows="2" placeholder="Ask something (Enter sends, Shift+Enter starts a new line)"></textarea>
  <button id="send">Send</button>
</form>
</main>
<script id="config" type="application/json">__CONFIG__</script>
<script>
"use strict";
const config = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);
const hex = (b) => b.toString(16).padStart(2, "0");
const session = Array.from(crypto.getRandomValues(new Uint8Array(16)), hex).join("");  // this tab's conversation
let streaming = null;  // the AbortController of the reply on its way

for (const [name, [low, high]] of Object.entries(config.limits)) {
  Object.assign($(name), {min: low, max: high, value: config.settings[name]});
}
$("model").textContent = config.model;
$("message").maxLength = config.max_message_chars;

function bubble(kind, text) {
  const div = document.createElement("div");
  div.className = "msg " + kind;
  div.textContent = text;
  $("log").append(div);
  div.scrollIntoView({block: "end"});
  return div;
}

function post(path, body, signal) {
  return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
                      signal});
}

async function* events(response) {  // the answer's JSON lines, as they arrive
  const reader = response.body.getReader(), decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, {stream: true});
    const lines = buffer.split("\\n");
    buffer = lines.pop();
    for (const line of lines) if (line) yield JSON.parse(line);
  }
}

function finish(reply, end) {
  if (end.refused) reply.classList.add("refusal");
  if (end.replaced) reply.classList.add("replaced");
  reply.textContent = end.text;
  reply.title = end.refused ? "refused (" + end.reason + ") without calling the model" : (end.replaced || "");
  if (end.enhanced) bubble("note", "read as: " + end.enhanced);
  if (end.dropped) bubble("note", end.dropped + " oldest turns left out: the conversation outgrew the model's window");
  $("stats").textContent = end.refused ? "" : end.tokens + " tokens, first token after " +
    end.first_token_seconds.toFixed(2) + " s, " + end.tokens_per_second.toFixed(1) + " tokens/s";
}

function fail(reply, message) {
  reply.className = "msg error";
  reply.textContent = message;
}

async function send(text) {
  bubble("user", text);
  const reply = bubble("bot pending", "");
  const settings = Object.fromEntries(Object.keys(config.limits).map((name) => [name, Number($(name).value)]));
  streaming = new AbortController();
  $("send").disabled = true;
  try {
    const response = await post("/api/chat", {session, message: text, settings}, streaming.signal);
    if (!response.ok) return fail(reply, (await response.json()).error);
    for await (const event of events(response)) {
      if ("piece" in event) reply.textContent += event.piece;
      else if ("error" in event) fail(reply, event.error);
      else finish(reply, event);
    }
  } catch (e) {
    if (e.name !== "AbortError") fail(reply, "no answer from the server: " + e.message);
  } finally {
    streaming = null;
    $("send").disabled = false;
    reply.classList.remove("pending");
    reply.dataset.done = "true";
  }
}

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("message").value.trim();
  if (!text || streaming) return;
  $("message").value = "";
  send(text);
});
$("message").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("form").requestSubmit();
  }
});
$("reset").addEventListener("click", async () => {
  if (streaming) streaming.abort();
  const response = await post("/api/reset", {session});
  $("log").replaceChildren();
  $("stats").textContent = response.ok ? "new conversation" : (await response.json()).error;
});
</script>
</body>
</html>
"""


def chat_page(settings: GenerationConfig, model_name: str) -> bytes:
    config = {"model": model_name, "settings": {name: getattr(settings, name) for name in SETTING_RANGES},
              "limits": {name: [low, high] for name, (_, low, high) in SETTING_RANGES.items()},
              "max_message_chars": MAX_MESSAGE_CHARS}
    # "<" escaped: a model folder named "</script>" must not end the script element early
    return PAGE.replace("__CONFIG__", json.dumps(config).replace("<", "\\u003c")).encode()


# ----------------------------------------------------------------------------- the web server


class ApiError(Exception):
    """A request the server refuses: its HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def require(data: dict, name: str):
    if name not in data:
        raise ApiError(400, f"missing field {name!r}")
    return data[name]


class ChatServer:
    """The chat page and its API on 127.0.0.1:`port` (0: a free port; `url` says which): `httpd.serve_forever()`
    serves it, or a `with` block from a background thread.

        GET  /            the page
        POST /api/chat    {"session": id, "message": text, "settings": {...}} -> the reply, one JSON object a line:
                          {"piece": text}... then {"done": true, "text": ..., "refused": ..., ...} or {"error": ...}
        POST /api/reset   {"session": id} -> {"reset": true}

    Bad requests get a 4xx status and {"error": "one line"}."""

    def __init__(self, chatbot: Chatbot, port: int = 0, max_sessions: int = 100, system: str | None = None,
                 model_name: str = ""):
        self.chatbot = chatbot
        self.sessions = SessionStore(max_sessions, system)
        self.model_lock = threading.Lock()  # one reply at a time; sessions change only under it
        self.page = chat_page(chatbot.generator.settings, model_name)
        try:
            self.httpd = ChatHTTPServer(("127.0.0.1", check_port(port)), ChatHandler)
        except OSError as e:
            raise UserError(f"cannot listen on 127.0.0.1:{port}: {e.strerror}") from None
        self.httpd.chat = self
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="serve-chat", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def check_port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise UserError(f"port {port} is not a port number (0 to 65535; 0 picks a free one)")
    return port


class ChatHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # a reply still streaming does not keep the process alive after Ctrl-C

    def handle_error(self, request, client_address):
        """A client that hangs up or falls silent is normal here, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class ChatHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "minillm-serve-chat/0.1"
    disable_nagle_algorithm = True  # each streamed piece leaves at once, not after the client's delayed ACK
    timeout = 60  # seconds a silent client may hold its thread (a body that never comes)

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_DELETE(self):
        self.route("DELETE")

    def do_PATCH(self):
        self.route("PATCH")

    def route(self, method: str) -> None:
        path = urlsplit(self.path).path
        try:
            methods = ROUTES.get(path)
            if methods is None:
                raise ApiError(404, f"no such path: {path}")
            if method not in methods:
                return self.send_error_json(405, f"{path} takes {' or '.join(methods)}, not {method}",
                                            allow=", ".join(methods))
            getattr(self, methods[method])()
        except ApiError as e:
            self.send_error_json(e.status, str(e))
        except UserError as e:  # a field's value that bot's checks refuse
            self.send_error_json(400, str(e))
        except (ConnectionError, TimeoutError):  # the client hung up or fell silent
            self.close_connection = True
        except Exception:  # a bug: logged here, one line for the client, and the server goes on
            log.exception("serve-chat: %s %s failed", method, path)
            self.send_error_json(500, "internal error (the server's log says more)")

    # --- the routes

    def page(self) -> None:
        self.send_body(200, "text/html; charset=utf-8", self.server.chat.page)

    def reset(self) -> None:
        session_id = require(self.read_json(), "session")
        chat = self.server.chat
        with chat.model_lock:
            chat.sessions.get(session_id).reset()
        self.send_json(200, {"reset": True})

    def chat(self) -> None:
        data = self.read_json()
        session_id, message = require(data, "session"), require(data, "message")
        if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS:
            raise ApiError(413, f"the message has {len(message):,} characters; the limit is {MAX_MESSAGE_CHARS:,}")
        check_message(message)
        changes = data.get("settings", {})
        if not isinstance(changes, dict):
            raise ApiError(400, f"settings must be an object, got {type(changes).__name__}")
        chat = self.server.chat
        chatbot = with_settings(chat.chatbot, changed_settings(chat.chatbot.generator.settings, changes))
        session = chat.sessions.get(session_id)
        received = time.perf_counter()
        with chat.model_lock:
            waited = time.perf_counter() - received
            stream = chatbot.stream_reply(session, message)
            first = next(stream, None)  # a message the context window cannot hold fails here, before the 200
            first_seconds = time.perf_counter() - received
            self.stream_answer(stream, first, {"first_token_seconds": first_seconds, "waited_seconds": waited})

    def stream_answer(self, stream, first: str | None, timing: dict) -> None:
        """The reply's pieces and its end, one JSON line each. A client that hangs up stops the reply (the next
        write fails): the session then keeps neither the message nor the half reply."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for piece in ([first] if first is not None else []):
                self.send_chunk({"piece": piece})
            for piece in stream:
                self.send_chunk({"piece": piece})
            self.send_chunk(end_event(stream.result, timing))
        except (ConnectionError, TimeoutError):
            raise  # the client hung up: route() closes the connection
        except UserError as e:  # the 200 is sent: an error now goes in the stream
            self.send_chunk({"error": str(e)})
        except Exception:
            log.exception("serve-chat: a reply failed")
            self.send_chunk({"error": "internal error (the server's log says more)"})
        self.wfile.write(b"0\r\n\r\n")

    # --- reading and writing

    def read_json(self) -> dict:
        length = self.headers.get("Content-Length")
        if self.headers.get_content_type() != "application/json":
            # which also keeps other web sites out: a browser asks first before it sends them JSON cross-site
            raise ApiError(415, "send the request as JSON (Content-Type: application/json)")
        if length is None:
            raise ApiError(411, "the request needs a Content-Length header")
        if not length.isdigit():
            raise ApiError(400, f"bad Content-Length {length!r}")
        if int(length) > MAX_BODY_BYTES:
            raise ApiError(413, f"the request has {int(length):,} bytes; the limit is {MAX_BODY_BYTES:,}")
        body = self.rfile.read(int(length))
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as e:
            raise ApiError(400, f"the body is not JSON: {str(e).splitlines()[0][:200]}") from None
        if not isinstance(data, dict):
            raise ApiError(400, f"the body must be a JSON object, got {type(data).__name__}")
        return data

    def send_chunk(self, event: dict) -> None:
        data = (json.dumps(event) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def send_body(self, status: int, content_type: str, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: dict, headers: dict | None = None) -> None:
        self.send_body(status, "application/json", (json.dumps(data) + "\n").encode(), headers)

    def send_error_json(self, status: int, message: str, allow: str | None = None) -> None:
        """An error as one JSON line. The connection then closes: the request's body may be unread."""
        self.close_connection = True
        headers = {"Connection": "close"} | ({"Allow": allow} if allow else {})
        try:
            self.send_json(status, {"error": message}, headers)
        except (ConnectionError, TimeoutError):
            pass

    def send_error(self, code, message=None, explain=None):
        """http.server's own errors (a malformed request line, an unknown method) in JSON too."""
        self.send_error_json(code, message or http.HTTPStatus(code).phrase)

    def log_message(self, format, *args):
        log.debug("serve-chat: " + format, *args)


def end_event(result: BotReply, timing: dict) -> dict:
    """The stream's last line: what the user sees (the output guardrail's replacement, if any) and the figures."""
    replaced = result.verdict is not None and not result.verdict.ok
    return {"done": True, "text": result.text, "refused": result.refused,
            "reason": result.decision.reason if result.refused else None,
            "replaced": result.verdict.reason if replaced else None,
            "enhanced": result.prompt if result.changes else None, "dropped": result.dropped,
            "tokens": result.tokens, "tokens_per_second": round(result.tokens_per_second, 1),
            **{name: round(seconds, 3) for name, seconds in timing.items()}}


# ----------------------------------------------------------------------------- command line


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `minillm serve-chat`."""
    add_common_arguments(parser)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port on 127.0.0.1; 0 picks a free one (default: {DEFAULT_PORT})")
    parser.add_argument("--max-sessions", type=int, default=100, metavar="N",
                        help="conversations kept in memory; the least recently used goes first (default: 100)")


def run_serve_from_args(args) -> int:
    """`minillm serve-chat`: serve the chat page until Ctrl-C."""
    check_port(args.port)
    SessionStore(args.max_sessions)  # checks the cap before the model loads
    chatbot, folder, took = chatbot_from_args(args)
    # A shell starts a background job with Ctrl-C ignored; `minillm serve-chat &` must still stop on SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    server = ChatServer(chatbot, args.port, args.max_sessions, args.system, str(folder))
    print(f"chat page at {server.url} with {folder} (start-up: {took})")
    print("press Ctrl-C to stop", flush=True)
    try:
        # in this thread, which it returns to twice a second: a Ctrl-C never waits on a blocked call
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.httpd.server_close()
    return 0
