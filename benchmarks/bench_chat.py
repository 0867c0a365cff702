"""The chat page's latency: how long a user waits for the first token of a reply, and how fast the rest streams
(lesson 12's budget: the first token within 0.5 s on a 2-core laptop).

`minillm serve-chat`'s server (minillm.chat_web.ChatServer, in this process, on a free port of 127.0.0.1) with the
chatbot of the built pipeline (runs/<preset>/rl/ppo: guardrail, enhancer, model, output guardrail) answers a set
of held-out questions and requests over HTTP, as the page does. Measured at the client: the seconds from sending
the request to the first streamed piece, and the reply's tokens/s as the server reports it. The peer: the same
messages through Chatbot.stream_reply directly, without HTTP, so the ratio shows what the server adds.

Then `--clients` users at once: the server writes one reply at a time (one model), so a request that arrives
while others are answered waits; the figure is the first token's wait at the client under that load.

    python benchmarks/bench_chat.py [--preset tiny] [--messages 20] [--clients 4] [--threads 1]
"""

import argparse
import http.client
import json
import statistics
import threading
import time

import torch

from minillm import artifacts
from minillm.bot import Session
from minillm.chat_app import load_chatbot
from minillm.chat_web import ChatServer
from minillm.files import DATA_DIR
from minillm.sft_eval import read_questions

TARGET_FIRST_TOKEN_SECONDS = 0.5


def messages(n: int) -> list[str]:
    """n held-out messages: data/rl's test questions and the first user message of data/sft's held-out conversations, alternating."""
    questions = [q["prompt"] for q in read_questions(DATA_DIR / "rl" / "test.jsonl")]
    requests = [next(m["content"] for m in json.loads(line)["messages"] if m["role"] == "user")
                for line in (DATA_DIR / "sft" / "test.jsonl").read_text().splitlines()]
    mixed = [m for pair in zip(questions, requests) for m in pair]
    return mixed[:n]


def ask_over_http(url: str, session: str, message: str) -> tuple[float, dict]:
    """Send one message as the page does; the seconds to the first streamed piece and the stream's end event."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120)
    body = json.dumps({"session": session, "message": message})
    sent = time.perf_counter()
    connection.request("POST", "/api/chat", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    first, end = None, None
    for line in response:
        event = json.loads(line)
        if first is None:
            first = time.perf_counter() - sent
        if event.get("done") or event.get("error"):
            end = event
    connection.close()
    return first, end


def ask_directly(chatbot, message: str) -> float:
    """The same message through the chatbot without HTTP: the seconds to its first piece."""
    start = time.perf_counter()
    stream = chatbot.stream_reply(Session(), message)
    next(stream, None)
    first = time.perf_counter() - start
    for _ in stream:
        pass
    return first


def under_load(url: str, asked: list[str], clients: int) -> list[float]:
    """Every client sends its share of the messages at the same moment; each first-token wait."""
    waits, lock = [], threading.Lock()

    def client(index: int):
        for message in asked[index::clients]:
            first, _ = ask_over_http(url, f"load-{index}", message)
            with lock:
                waits.append(first)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return waits


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s, max {max(values):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (serve-chat's --threads default: 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    folder = artifacts.get("rl", args.preset) / "ppo"
    chatbot, took = load_chatbot(folder)
    print(f"chatbot on {folder} ({took}), {args.threads} torch thread(s)")
    asked = messages(args.messages)
    with ChatServer(chatbot) as server:
        ask_over_http(server.url, "warm-up", asked[0])
        http_first, direct_first, speeds = [], [], []
        for i, message in enumerate(asked):  # alternate, so that other work on the machine slows both alike
            first, end = ask_over_http(server.url, f"one-{i}", message)
            http_first.append(first)
            if end.get("tokens"):
                speeds.append(end["tokens_per_second"])
            direct_first.append(ask_directly(chatbot, message))
        loaded = under_load(server.url, asked, args.clients)
    print(f"{len(asked)} messages, one user at a time:")
    print(f"  first token over HTTP: {summary(http_first)}")
    print(f"  first token without HTTP: {summary(direct_first)}")
    print(f"  HTTP / direct (medians): {statistics.median(http_first) / statistics.median(direct_first):.2f}")
    print(f"  streamed tokens/s (server's figure, {len(speeds)} model replies): median {statistics.median(speeds):.0f}, "
          f"min {min(speeds):.0f}")
    print(f"{args.clients} users at once: first token {summary(loaded)}")
    worst = max(http_first)
    verdict = "within" if worst <= TARGET_FIRST_TOKEN_SECONDS else "over"
    print(f"target: first token <= {TARGET_FIRST_TOKEN_SECONDS} s for one user: {verdict} (worst {worst:.3f} s)")


if __name__ == "__main__":
    main()
