"""Headless Chromium for the report tests: a screenshot of a local page with the network blocked, a
tiny PNG reader, and a static check that a page asks nothing of the network.

Under CI (the ``CI`` environment variable set) a missing browser is a failure, not a skip: `.ci/run`
installs Debian's ``chromium``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str:
    """The browser's path; fails under CI and skips locally when there is none."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    message = "headless Chromium not found (Debian: apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + " — required under CI")
    pytest.skip(message)


def screenshot(page: Path, out: Path, *, width: int = 1200, height: int = 3000, timeout: float = 120) -> Path:
    """Render ``page`` (a local file) in headless Chromium with every host unresolvable and a proxy that
    refuses connections, and save a PNG of ``width`` × ``height`` CSS pixels."""
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="admtrack-chromium-") as profile:
        argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
                f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--proxy-server=127.0.0.1:9", f"--window-size={width},{height}", f"--screenshot={out}",
                page.resolve().as_uri()]
        proc = subprocess.run(argv, capture_output=True, timeout=timeout)
    assert out.exists() and out.stat().st_size > 0, proc.stderr.decode("utf-8", "replace")[-2000:]
    return out


def ink(png: Path, box: tuple[int, int, int, int], background=(255, 255, 255)) -> int:
    """How many pixels in ``box`` (x0, y0, x1, y1) of a PNG differ from the background (Pillow comes
    with matplotlib)."""
    from PIL import Image, ImageChops

    with Image.open(png) as img:
        part = img.convert("RGB").crop(box)
    diff = ImageChops.difference(part, Image.new("RGB", part.size, background)).convert("L")
    return sum(diff.point(lambda v: 255 if v > 24 else 0).histogram()[255:])


# ---- nothing from the network ----------------------------------------------------------------------

URL_ATTRS = {"src", "href", "srcset", "action", "formaction", "data", "poster", "background", "xlink:href",
             "manifest", "ping", "cite", "longdesc", "usemap", "codebase", "archive"}
NAMESPACE_ATTRS = {"xmlns", "xmlns:xlink", "xmlns:svg"}


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.refs: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None or name in NAMESPACE_ATTRS:
                continue
            if name in URL_ATTRS:
                self.refs.append((tag, name, value))
            if name == "style":
                self.styles.append(value)
            if tag == "meta" and name == "http-equiv" and value.lower() == "refresh":
                self.refs.append((tag, name, value))

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def external_references(html: str) -> list[str]:
    """Everything in the page that could make a browser ask the network for something: URL attributes
    that are not in-page fragments, CSS url()/@import that are not data: URIs, scripts, frames, links to
    stylesheets or fonts."""
    parser = _Refs()
    parser.feed(html)
    found = []
    for tag in parser.tags:
        # <use href="#id"> is an in-page reference, checked below
        if tag in ("script", "iframe", "frame", "object", "embed", "link", "base", "img", "video", "audio",
                   "source", "track", "image", "feimage"):
            found.append(f"<{tag}>")
    for tag, name, value in parser.refs:
        v = value.strip()
        if not (v.startswith("#") or v.startswith("data:")):
            found.append(f"<{tag} {name}={value!r}>")
    for css in parser.styles:
        for m in re.finditer(r"url\(\s*['\"]?([^'\")]*)", css):
            if not (m.group(1).startswith("#") or m.group(1).startswith("data:")):
                found.append(f"url({m.group(1)})")
        if "@import" in css or "@font-face" in css:
            found.append("@import/@font-face")
    return found
