"""One GET with a timeout and retries (SPEC §9): 5xx answers, time-outs and dropped connections are tried
again after a growing pause; anything else fails at once. Imported by the ``fetch`` functions only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from admtrack.errors import AdmError

#: retried: the server's trouble or the network's, not the request's
RETRY_STATUS = range(500, 600)
USER_AGENT = "admtrack (https://github.com/; ASEAN Digital Masterplan 2030 tracker)"


def make_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True,
                        headers={"User-Agent": USER_AGENT})


def get(client: httpx.Client, url: str, params: dict[str, Any], *, agency: str, retries: int, backoff: float,
        sleep: Callable[[float], None] = time.sleep) -> httpx.Response:
    """The response (2xx), or AdmError naming the agency, the URL and what went wrong on the last try.

    ``retries`` more attempts after the first; the pause before attempt k (1-based) is ``backoff × 2**(k-1)``.
    """
    last = ""
    for attempt in range(retries + 1):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            resp = client.get(url, params=params)
        except httpx.TimeoutException:
            last = "timed out"
            continue
        except httpx.TransportError as exc:  # refused, reset, DNS, …
            last = f"network error: {exc.__class__.__name__}: {exc}".rstrip(": ")
            continue
        except httpx.HTTPError as exc:
            raise AdmError(f"{agency}: {url}: {exc}") from None
        if resp.status_code in RETRY_STATUS:
            last = f"HTTP {resp.status_code}"
            continue
        if resp.status_code >= 400:
            raise AdmError(f"{agency}: {resp.request.url}: HTTP {resp.status_code}{_reason(resp)}")
        return resp
    tries = f"{retries + 1} attempts" if retries else "1 attempt"
    raise AdmError(f"{agency}: {url}: {last} ({tries}); nothing was recorded")


def _reason(resp: httpx.Response) -> str:
    text = (resp.text or "").strip().splitlines()
    return f": {text[0][:200]}" if text else ""
