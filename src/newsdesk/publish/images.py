"""The site's icon and logo: where feeds and pages point to them, and the files published for them.

`site.icon` / `site.logo` may be an http(s) address (used as it is) or an image file beside the config
(published as icon.<ext> / logo.<ext>). Without an icon, the bundled one is published. favicon.ico is
made from a local PNG icon (an ICO file may hold a PNG image whole) so browsers asking for /favicon.ico
get it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from importlib import resources
from pathlib import PurePosixPath
from typing import Literal

from newsdesk.config import Config

RSS_IMAGE_TYPES = frozenset({".png", ".jpg", ".jpeg", ".gif"})  # what RSS 2.0 allows in <image>


@dataclass(frozen=True)
class SiteImages:
    icon_url: str | None = None
    logo_url: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # file name in the output folder -> bytes

    @property
    def rss_image_url(self) -> str | None:
        """RSS <image> takes GIF, JPEG or PNG only: the logo if it is one, else the icon."""
        for url in (self.logo_url, self.icon_url):
            if url and PurePosixPath(url.split("?", 1)[0]).suffix.lower() in RSS_IMAGE_TYPES:
                return url
        return None


def site_images(config: Config) -> SiteImages:
    files: dict[str, bytes] = {}
    urls: dict[str, str | None] = {}
    keys: tuple[Literal["icon", "logo"], ...] = ("icon", "logo")
    for key in keys:
        value = config.site.icon if key == "icon" else config.site.logo
        local = config.site_image(key)
        if local is not None:
            name = f"{key}{local.suffix.lower()}"
            files[name] = local.read_bytes()
            urls[key] = config.site.url + name
        else:
            urls[key] = value
    if urls["icon"] is None:
        files["icon.png"] = resources.files("newsdesk.publish").joinpath("assets", "icon.png").read_bytes()
        urls["icon"] = config.site.url + "icon.png"
    if "icon.ico" in files:
        files["favicon.ico"] = files["icon.ico"]
    elif "icon.png" in files:
        files["favicon.ico"] = ico_holding_png(files["icon.png"])
    return SiteImages(icon_url=urls["icon"], logo_url=urls["logo"], files=files)


def ico_holding_png(png: bytes) -> bytes:
    """An ICO file with one PNG image (Windows Vista and every browser read these)."""
    width, height = struct.unpack(">II", png[16:24]) if png[12:16] == b"IHDR" else (0, 0)
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), len(header) + 16)
    return header + entry + png
