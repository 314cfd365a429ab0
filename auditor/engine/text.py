"""Text out of a post's HTML: visible words, hashtags, alt text and link targets."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section",
                    "article", "blockquote", "tr", "header", "footer", "figure", "figcaption", "dd",
                    "dt", "table", "pre", "aside", "main", "nav"})
SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe"})


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Return (text, link targets). Alt text of images stays in the text, in its place."""
    soup = BeautifulSoup(html, "html.parser")
    parts: list[str] = []
    links: list[str] = []

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                parts.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in SKIP:
                continue
            if name == "br":
                parts.append("\n")
                continue
            if name == "img":
                alt = (child.get("alt") or "").strip()
                if alt:
                    parts.append(f" {alt} ")
                continue
            if name == "a":
                href = (child.get("href") or "").strip()
                if href and not href.startswith(("#", "javascript:", "mailto:")):
                    links.append(href)
            block = name in BLOCKS
            if block:
                parts.append("\n")
            walk(child)
            if block:
                parts.append("\n")

    walk(soup)
    text = "".join(parts).replace("\xa0", " ")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text, list(dict.fromkeys(links))
