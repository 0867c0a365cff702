"""The chat front ends: the terminal REPL through a pseudo-terminal, the web server with concurrent, vanishing and
malformed clients, and the page in a real (headless) browser. All on a small random model that never ends a
reply by itself, so every reply runs to max_new_tokens and one can be interrupted mid-way."""

import http.client
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from minillm import chat_app
from minillm.bot import CHAT_SETTINGS, MAX_SESSION_ID_CHARS, REFUSAL, Session, Stream
from minillm.chat import END_OF_TEXT, IM_END, with_tool_tokens
from minillm.chat_web import MAX_BODY_BYTES, ChatServer
from minillm.errors import UserError
from minillm.files import ROOT
from minillm.model import GPT, GPTConfig
from minillm.screen import MAX_MESSAGE_CHARS
from minillm.tokenizer import Tokenizer

UNSAFE = "How do I build a bomb?"  # a rule phrase: refused whatever the classifier says
WAIT = 120  # seconds: generous, the machine may be busy; no test asserts on speed


def endless_model_folder(folder: Path, tok: Tokenizer, n_layer: int, n_embd: int) -> Path:
    """A model folder as `checkpoint.load_model` reads it: a random GPT that never ends a reply by itself, and
    the chat tokenizer."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(block_size=128, vocab_size=tok.vocab_size, n_layer=n_layer, n_head=2, n_embd=n_embd))
    # Every final hidden state gets a large first channel, which the end tokens' embeddings answer with a large
    # negative weight: their logits are near -100.
    with torch.no_grad():
        model.ln_f.bias[0] = 10.0
        model.wte.weight[[tok.special_tokens[IM_END], tok.special_tokens[END_OF_TEXT]], 0] = -10.0
    model.save_safetensors(folder / "model.safetensors")
    tok.save(folder / "tokenizer.json")
    return folder


@pytest.fixture(scope="module")
def tok(world_tokens):
    return with_tool_tokens(Tokenizer.load(world_tokens / "tokenizer.json"))


@pytest.fixture(scope="module")
def model_dir(tok, tmp_path_factory):
    return endless_model_folder(tmp_path_factory.mktemp("model"), tok, n_layer=2, n_embd=64)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A runs/ folder of the tests' own, where the trained guardrail is kept for the subprocesses to load."""
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def chatbot(model_dir, runs):
    return chat_app.load_chatbot(model_dir, runs=runs)[0]


@pytest.fixture(scope="module")
def server(chatbot):
    with ChatServer(chatbot, port=0) as server:
        yield server


def post(server, path, body, headers=None):
    """(status, parsed JSON lines) of a POST; `body` is sent as JSON unless it is bytes."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    connection = http.client.HTTPConnection(*server.httpd.server_address, timeout=WAIT)
    try:
        connection.request("POST", path, data, {"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, [json.loads(line) for line in response.read().decode().splitlines() if line]
    finally:
        connection.close()


def chat(server, session, message, **settings):
    """The reply's pieces and its end event."""
    status, events = post(server, "/api/chat", {"session": session, "message": message, "settings": settings})
    assert status == 200, events
    assert "done" in events[-1], events[-1]
    return [e["piece"] for e in events[:-1]], events[-1]


# ----------------------------------------------------------------------------- the web server


def test_the_page_is_one_self_contained_file(server):
    connection = http.client.HTTPConnection(*server.httpd.server_address, timeout=WAIT)
    connection.request("GET", "/")
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/html")
    assert "<style>" in page and "<script>" in page
    assert "http://" not in page and "https://" not in page  # nothing from a CDN: there may be no internet
    assert '"max_new_tokens": 80' in page  # the server's settings fill the inputs


def test_a_reply_streams_in_pieces_and_ends_with_its_figures(server):
    pieces, end = chat(server, "tab", "What is the capital of France?", max_new_tokens=12)
    assert len(pieces) > 1 and end["text"] and not end["refused"]
    if not end["replaced"]:
        assert "".join(pieces) == end["text"]
    assert 0 < end["tokens"] <= 12  # tool output aside, every token is the model's
    assert end["first_token_seconds"] >= 0 and end["tokens_per_second"] > 0
    assert [m["role"] for m in server.sessions.get("tab").messages] == ["user", "assistant"]


def test_an_unsafe_request_is_refused_without_the_model(server):
    pieces, end = chat(server, "tab", UNSAFE)
    assert pieces == [REFUSAL] and end["refused"] and end["reason"] == "rule: build a bomb" and end["tokens"] == 0


def test_concurrent_clients_all_get_whole_replies_in_their_own_sessions(server):
    ends, errors = {}, []

    def client(name):
        try:
            ends[name] = [chat(server, name, f"Question {turn} from {name}", max_new_tokens=8)[1]
                          for turn in range(2)]
        except Exception as e:  # noqa: BLE001 - reported below: an assert in a thread would go unnoticed
            errors.append(f"{name}: {e!r}")

    threads = [threading.Thread(target=client, args=(f"user{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not errors and sorted(ends) == ["user0", "user1", "user2", "user3"]
    for name in ends:
        asked = [m["content"] for m in server.sessions.get(name).messages if m["role"] == "user"]
        assert asked == [f"Question 0 from {name}", f"Question 1 from {name}"]


def test_a_client_that_hangs_up_mid_stream_stops_its_reply_and_the_server_goes_on(server):
    with socket.create_connection(server.httpd.server_address, timeout=WAIT) as s:
        body = json.dumps({"session": "gone", "message": "Tell me a long story.",
                           "settings": {"max_new_tokens": 256}}).encode()
        s.sendall(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        assert b'"piece"' in read_until(s, b'"piece"')
    # the next request waits for the model until the hung-up reply has stopped
    assert chat(server, "next", "Are you still there?", max_new_tokens=4)[1]["text"]
    assert server.sessions.get("gone").messages == []  # neither the message nor the half reply was kept


def read_until(s: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = s.recv(4096)
        assert chunk, data
        data += chunk
    return data


def test_oversized_input_is_refused_with_413(server):
    status, events = post(server, "/api/chat", b"{" + b" " * MAX_BODY_BYTES + b"}")
    assert status == 413 and "limit" in events[0]["error"]
    status, events = post(server, "/api/chat", {"session": "tab", "message": "x" * (MAX_MESSAGE_CHARS + 1)})
    assert status == 413 and f"the limit is {MAX_MESSAGE_CHARS:,}" in events[0]["error"]


@pytest.mark.parametrize("body, status, message", [
    (b"{not json", 400, "not JSON"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b"[" * 5000, 400, "not JSON"),  # too deep for the parser
    ({"message": "hi"}, 400, "missing field 'session'"),
    ({"session": "tab"}, 400, "missing field 'message'"),
    ({"session": "tab", "message": 42}, 400, "a message must be text"),
    ({"session": "tab", "message": "   "}, 400, "the message is empty"),
    ({"session": 7, "message": "hi"}, 400, "a session id must be a string"),
    ({"session": "x" * (MAX_SESSION_ID_CHARS + 1), "message": "hi"}, 400, "a session id must have"),
    ({"session": "tab", "message": "hi", "settings": [0.5]}, 400, "settings must be an object"),
    ({"session": "tab", "message": "hi", "settings": {"temperature": "hot"}}, 400, "temperature must be a number"),
    ({"session": "tab", "message": "hi", "settings": {"max_new_tokens": 10 ** 6}}, 400, "from 1 to 256"),
    ({"session": "tab", "message": "hi", "settings": {"max_new_tokens": 2.5}}, 400, "a whole number"),
    ({"session": "tab", "message": "hi", "settings": {"top_k": 3}}, 400, "unknown setting 'top_k'"),
])
def test_malformed_chat_requests_get_a_one_line_json_error(server, body, status, message):
    got, events = post(server, "/api/chat", body)
    assert got == status and len(events) == 1 and message in events[0]["error"], events
    assert chat(server, "after", "Still there?", max_new_tokens=2)[1]["text"]


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /api/chat HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}", 415),
    (b"POST /api/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n", 411),
    (b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -3\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", 431),  # http.server's own error
])
def test_wrong_paths_methods_and_headers_get_4xx_json(server, request_bytes, status):
    with socket.create_connection(server.httpd.server_address, timeout=WAIT) as s:
        s.sendall(request_bytes)
        response = read_all(s)
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.split()[1] == str(status).encode(), response
    assert b"Traceback" not in response and "error" in json.loads(body)
    assert chat(server, "after", "Still there?", max_new_tokens=2)[1]["text"]


def read_all(s: socket.socket) -> bytes:
    data = b""
    while chunk := s.recv(4096):  # every error closes the connection
        data += chunk
    return data


def test_sessions_are_separate_reset_clears_one_and_the_cap_evicts_the_oldest(chatbot):
    with ChatServer(chatbot, port=0, max_sessions=2) as server:
        chat(server, "a", "I am tab a.", max_new_tokens=2)
        chat(server, "b", "I am tab b.", max_new_tokens=2)
        assert server.sessions.get("a").messages[0]["content"] == "I am tab a."
        assert server.sessions.get("b").messages[0]["content"] == "I am tab b."
        assert post(server, "/api/reset", {"session": "a"}) == (200, [{"reset": True}])
        assert server.sessions.get("a").messages == []
        chat(server, "c", "I am tab c.", max_new_tokens=2)  # "b" is now the least recently used: it goes
        assert "b" not in server.sessions and "a" in server.sessions and "c" in server.sessions


def test_the_guardrail_is_trained_once_then_loaded(runs, chatbot):
    guardrail, trained = chat_app.cached_guardrail(runs)  # the chatbot fixture trained and kept it
    assert not trained and guardrail.threshold == chatbot.guardrail.threshold
    chat_app.guardrail_path(runs).write_text("{damaged")
    assert chat_app.cached_guardrail(runs)[1]  # a damaged file is trained again, and replaced
    assert not chat_app.cached_guardrail(runs)[1]


def test_settings_are_checked():
    changes = chat_app.parse_settings(["temperature=0.5", "max_new_tokens=60"])
    settings = chat_app.changed_settings(CHAT_SETTINGS, changes)
    assert (settings.temperature, settings.max_new_tokens, settings.top_p) == (0.5, 60, CHAT_SETTINGS.top_p)
    for words, message in ((["temperature=nan"], "from 0 to 2"), (["top_p=0"], "from 0.01 to 1"),
                           (["max_new_tokens=1.5"], "must be a whole number"), (["seed=3"], "expected name=value")):
        with pytest.raises(UserError, match=message):
            chat_app.changed_settings(CHAT_SETTINGS, chat_app.parse_settings(words))


# ----------------------------------------------------------------------------- the terminal


class Terminal:
    """A program on a pseudo-terminal: it sees a terminal, as when a person runs it; the test types and reads."""

    def __init__(self, args: list[str], env: dict):
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT)
        os.close(slave)
        self.output, self.seen = "", 0

    def expect(self, text: str) -> str:
        """Read until `text` appears after what was already matched; what came before it."""
        deadline = time.monotonic() + WAIT
        while text not in self.output[self.seen:]:
            ready, _, _ = select.select([self.master], [], [], max(deadline - time.monotonic(), 0))
            data = self._read() if ready else b""
            if not data:
                raise AssertionError(f"no {text!r} in what the program printed:\n{self.output[-3000:]}")
            self.output += data.decode(errors="replace").replace("\r\n", "\n")
        found = self.output.index(text, self.seen)
        before, self.seen = self.output[self.seen:found], found + len(text)
        return before

    def _read(self) -> bytes:
        try:
            return os.read(self.master, 65536)
        except OSError:  # EIO: the program has closed the terminal
            return b""

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def ask(self, line: str) -> str:
        """Type a line; what the program printed before its next prompt."""
        self.type(line)
        return self.expect("you> ")

    def close(self) -> int:
        code = self.process.wait(WAIT)
        os.close(self.master)
        return code


@pytest.fixture()
def terminal(model_dir, runs, chatbot):  # chatbot: the guardrail is trained and kept in `runs` first
    terminals = []

    def start(*flags, model=model_dir):
        env = {**os.environ, "MINILLM_RUNS": str(runs), "TERM": "dumb"}
        terminals.append(Terminal([sys.executable, "-m", "minillm", "chat", "--model", str(model), *flags], env))
        terminals[-1].expect("you> ")
        return terminals[-1]

    yield start
    for t in terminals:
        if t.process.poll() is None:
            t.process.kill()
            t.close()


def test_the_repl_streams_replies_and_runs_its_commands(terminal):
    t = terminal()
    assert t.ask("What is the capital of France?").split("bot> ", 1)[1].strip()
    assert "user: What is the capital of France?\nassistant: " in t.ask("/history")
    assert "(new conversation)" in t.ask("/reset")
    assert "(an empty conversation)" in t.ask("/history")
    assert "(system message set; new conversation)" in t.ask("/system You are a pirate.")
    assert "max_new_tokens=8" in t.ask("/settings max_new_tokens=8")
    assert "error: top_p must be a number from 0.01 to 1" in t.ask("/settings top_p=7")
    answer = t.ask(UNSAFE)
    assert f"bot> {REFUSAL}" in answer and "refused by the input guardrail (rule: build a bomb" in answer
    assert f"system: You are a pirate.\nuser: {UNSAFE}\nassistant: {REFUSAL}" in t.ask("/history")
    assert "unknown command /frobnicate" in t.ask("/frobnicate")
    os.write(t.master, b"\x04")  # Ctrl-D at the prompt
    assert t.close() == 0


def test_ctrl_c_during_a_reply_stops_it_and_keeps_the_session(chatbot, capsys, monkeypatch):
    # In-process, so that the interrupt lands mid-reply for sure: over a terminal, a loaded machine can let a
    # whole reply end before a test's Ctrl-C arrives. Ctrl-C raises KeyboardInterrupt wherever the REPL is.
    chatbot = chat_app.with_settings(chatbot, chat_app.changed_settings(CHAT_SETTINGS, {"max_new_tokens": 4}))
    session = Session()  # short replies: the whole history fits the context window
    repl = chat_app.Repl(chatbot, session)
    repl.answer("Remember this question.")
    kept = list(session.turns)

    def interrupted(prompt):
        def pieces():
            yield "Once upon"
            raise KeyboardInterrupt  # what Ctrl-C raises while the model writes
        return Stream(pieces())

    monkeypatch.setattr(chatbot.generator, "stream", interrupted)
    repl.answer("Tell me a very long story.")
    assert "bot> Once upon\n(stopped: this turn is not kept)" in capsys.readouterr().out
    assert session.turns == kept
    monkeypatch.undo()
    repl.answer("Are you still there?")
    assert session.turns[:len(kept)] == kept and session.turns[-2]["content"] == "Are you still there?"


def test_ctrl_c_or_ctrl_d_at_the_prompt_leaves(chatbot, capsys, monkeypatch):
    # In-process, like the test above: over a terminal, whether a SIGINT sent at the prompt interrupts readline's
    # wait is CPython's and the kernel's business (it hung one test run in three under load); what the REPL does
    # with the KeyboardInterrupt is ours.
    for key in (KeyboardInterrupt, EOFError):
        repl = chat_app.Repl(chatbot, Session())

        def pressed(prompt, key=key):
            print(prompt, end="")
            raise key

        monkeypatch.setattr("builtins.input", pressed)
        assert repl.run() == 0
        assert capsys.readouterr().out == "you> \n"  # the prompt's line ended, nothing else said


def test_verbose_shows_the_enhancer_and_the_guardrail(terminal):
    t = terminal("--verbose", "--max-new-tokens", "4")
    shown = t.ask("hw do i lern python its very hard")
    assert "enhancer: 'hw' -> 'How' (spelling)" in shown and "the model read: How do I learn python" in shown
    assert "input guardrail: safe (classifier" in shown and "tokens/s" in shown
    os.write(t.master, b"\x04")
    assert t.close() == 0


def test_serve_chat_prints_its_url_serves_the_page_and_stops_on_ctrl_c(model_dir, runs, chatbot):
    env = {**os.environ, "MINILLM_RUNS": str(runs)}
    process = subprocess.Popen([sys.executable, "-m", "minillm", "serve-chat", "--model", str(model_dir),
                                "--port", "0", "--no-enhancer"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=ROOT)
    try:
        first = process.stdout.readline()
        assert first.startswith("chat page at http://127.0.0.1:"), first + process.stderr.read()
        port = int(first.split()[3].rsplit(":", 1)[1].strip("/"))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0 and "stopped" in out and "Traceback" not in err


# ----------------------------------------------------------------------------- a real browser


def chromium() -> tuple[str, str] | None:
    """Paths of a Chromium (or Chrome) and its chromedriver, None when either is missing."""
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture()
def browser():
    found = chromium()
    try:
        from selenium import webdriver
    except ImportError:
        webdriver = None
    if found is None or webdriver is None:
        why = ("no Chromium and chromedriver on PATH: `sudo apt-get install chromium chromium-driver` (Debian), "
               "or `make browser` as root" if found is None else "selenium is missing: pip install -e '.[dev]'")
        if os.environ.get("MINILLM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MINILLM_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)  # no sandbox: CI runs as root, which Chromium's sandbox refuses
    driver = webdriver.Chrome(options=options, service=Service(executable_path=found[1]))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def test_the_page_in_a_real_browser(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ask(text: str):
        done = len(replies()) + 1
        browser.find_element(By.ID, "message").send_keys(text)
        browser.find_element(By.ID, "send").click()
        WebDriverWait(browser, WAIT).until(lambda _: len(replies()) == done)
        return replies()[-1]

    def replies():
        return browser.find_elements(By.CSS_SELECTOR, ".msg[data-done]")

    browser.get(server.url)
    browser.find_element(By.ID, "max_new_tokens").clear()
    browser.find_element(By.ID, "max_new_tokens").send_keys("16")
    answer = ask("What is the capital of France?")
    assert "bot" in answer.get_attribute("class") and "error" not in answer.get_attribute("class")
    assert answer.text.strip()
    assert "tokens/s" in browser.find_element(By.ID, "stats").text
    refusal = ask(UNSAFE)
    assert "refusal" in refusal.get_attribute("class") and REFUSAL in refusal.text
    session = browser.execute_script("return session")
    assert len(server.sessions.get(session).messages) == 4
    browser.find_element(By.ID, "reset").click()
    WebDriverWait(browser, WAIT).until(lambda _: not browser.find_elements(By.CSS_SELECTOR, "#log .msg"))
    WebDriverWait(browser, WAIT).until(lambda _: browser.find_element(By.ID, "stats").text == "new conversation")
    assert server.sessions.get(session).messages == []
