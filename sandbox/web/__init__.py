"""The sandbox's chat page (static HTML/CSS/JS, no build step)."""

from pathlib import Path

WEB_DIR = Path(__file__).parent
INDEX_HTML_PATH = WEB_DIR / "index.html"
