"""Driving the web console in Debian's Chromium: console errors collected, an axe-core check, and
screenshots at 1280, 390 and 360 px kept under artefacts/console/ (gitignored) and the test's tmp dir."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")  # axe-core 4.11.0 from npm, unmodified
ARTEFACTS = Path(os.environ.get("SOTAY_ARTEFACTS", ROOT / "artefacts")) / "console"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844), "small phone": (360, 740)}  # the issue asks for 360 px


@dataclass
class Watched:
    """Everything the page logged as an error, and every axe finding, page by page."""

    errors: list[str] = field(default_factory=list)
    axe: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    shots: list[Path] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))


async def check_page(page: Any, name: str, watched: Watched, tmp_path: Path) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is (Runtime.evaluate: the page's CSP still forbids any other
    script), then screenshot it at both widths. Returns axe's serious and critical findings."""
    await page.evaluate(AXE)
    found = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"""
    )
    watched.axe[name] = found
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await asyncio.sleep(0.05)
        for folder in (tmp_path, ARTEFACTS):
            path = folder / f"{name}-{width}.png"
            await page.screenshot(path=str(path), full_page=True)
            watched.shots.append(path)
        # Nothing wider than a phone's screen (390 and 360 px): a table turns into cards, a form wraps.
        if label != "desktop":
            overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px phone"
    await page.set_viewport_size({"width": WIDTHS["desktop"][0], "height": WIDTHS["desktop"][1]})
    return [v for v in found if v["impact"] in ("serious", "critical")]
