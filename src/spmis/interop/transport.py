"""Sending DCI messages to another registry over HTTP (httpx): OAuth2 client-credentials tokens
(cached until shortly before they expire), a short retry policy, and the peer's answer.

Both directions use this one transport: ``spmis dci search`` and the other client commands
(``DciClient`` in ``spmis.interop.service``), and the registry's own callbacks (``on-search``,
``on-subscribe``, ``notify``) to the systems that asked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 (a path)
#: attempts and the pause before each retry (seconds): a short policy, the caller can ask again
RETRY_DELAYS = (0.0, 0.5, 1.5)
TIMEOUT_SECONDS = 15.0


class DeliveryError(RuntimeError):
    """The peer could not be reached or refused the message; ``status_code`` when it answered."""

    def __init__(self, message: str, status_code: int | None = None,
                 body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body


@dataclass(frozen=True)
class Peer:
    """Another registry: its DCI sender_id, base URL and the credentials SPMIS uses there."""

    sender_id: str
    base_url: str
    client_id: str | None
    client_secret: str | None

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


class Transport:
    """POST envelopes to peers with a bearer token; retry on network errors and 5xx."""

    def __init__(self, http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self.http = http or httpx.Client(timeout=TIMEOUT_SECONDS)
        self._sleep = sleep
        self._delays = delays
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def token(self, peer: Peer, refresh: bool = False) -> str:
        """A bearer token from the peer's OAuth2 token endpoint (client credentials)."""
        if not peer.client_id or not peer.client_secret:
            raise DeliveryError(f"no client credentials registered for peer {peer.sender_id!r}")
        key = (peer.base_url, peer.client_id)
        with self._lock:
            cached = self._tokens.get(key)
        if cached and not refresh and cached[1] > time.monotonic():
            return cached[0]
        try:
            resp = self.http.post(peer.url(TOKEN_PATH), data={"grant_type": "client_credentials"},
                                  auth=(peer.client_id, peer.client_secret))
        except httpx.HTTPError as exc:
            raise DeliveryError(f"token request to {peer.sender_id!r} failed: {exc}") from exc
        if resp.status_code != 200:
            raise DeliveryError(f"token request to {peer.sender_id!r} refused "
                                f"(HTTP {resp.status_code})", resp.status_code, _json(resp))
        body = resp.json()
        token = str(body["access_token"])
        expires = time.monotonic() + max(int(body.get("expires_in", 60)) - 30, 5)
        with self._lock:
            self._tokens[key] = (token, expires)
        return token

    def post(self, peer: Peer, url: str, envelope: dict[str, Any]) -> httpx.Response:
        """POST ``envelope`` to ``url`` (under the peer's base URL); retries network errors and
        5xx, renews the token once on 401. Returns the last response (any 2xx/4xx)."""
        last: Exception | None = None
        renewed = False
        for attempt, delay in enumerate(self._delays):
            if delay:
                self._sleep(delay)
            try:
                token = self.token(peer, refresh=renewed and attempt > 0)
                resp = self.http.post(url, json=envelope,
                                      headers={"Authorization": f"Bearer {token}"})
            except (httpx.HTTPError, DeliveryError) as exc:
                last = exc
                continue
            if resp.status_code == 401 and not renewed:
                renewed = True
                with self._lock:
                    self._tokens.pop((peer.base_url, peer.client_id or ""), None)
                continue
            if resp.status_code >= 500:
                last = DeliveryError(f"HTTP {resp.status_code}", resp.status_code, _json(resp))
                continue
            return resp
        raise DeliveryError(f"delivery to {peer.sender_id!r} failed after "
                            f"{len(self._delays)} attempts: {last}",
                            getattr(last, "status_code", None), getattr(last, "body", None))

    def get_json(self, url: str) -> Any:
        try:
            resp = self.http.get(url)
            resp.raise_for_status()
            return resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DeliveryError(f"GET {url} failed: {exc}") from exc


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:500]
