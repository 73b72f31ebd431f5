"""Webhook test helpers: endpoints made through the service, and a real HTTP receiver in a thread."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlmodel import Session

from app.brands.models import Brand
from app.webhooks import service as webhooks_service
from app.webhooks.models import WebhookEndpoint


def make_endpoint(
    session: Session, brand: Brand, *, url: str = "https://hooks.example.com/chorus", events: list[str] | None = None
) -> WebhookEndpoint:
    return webhooks_service.create_endpoint(
        session, brand=brand, created_by_id=None, url=url, events=events or ["comment_created"]
    )


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, object]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """A receiver that answers ``failure_status`` to the first ``failures`` requests, then 200."""

    failures: int = 0
    failure_status: int = 500
    requests: list[ReceivedRequest] = field(default_factory=list)
    url: str = ""


@contextmanager
def running_receiver(*, failures: int = 0, failure_status: int = 500) -> Iterator[Receiver]:
    receiver = Receiver(failures=failures, failure_status=failure_status)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                receiver.requests.append(ReceivedRequest(self.path, dict(self.headers.items()), body))
                failing = len(receiver.requests) <= receiver.failures
            self.send_response(receiver.failure_status if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/chorus"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once (a receiver that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"
