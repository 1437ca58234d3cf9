"""feeds.opml: every feed, grouped by category hierarchy, importable by feed readers (OPML 2.0)."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from newsdesk.publish.atom import FeedInfo


def render_opml(title: str, owner: str, feeds: Sequence[tuple[str | None, FeedInfo]]) -> bytes:
    """`feeds`: (category id or None for all, info); a parent with children becomes a folder."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "ownerName").text = owner
    body = etree.SubElement(root, "body")
    by_category = {category: info for category, info in feeds}
    if None in by_category:
        _feed_outline(body, by_category[None])
    categories = sorted(c for c in by_category if c is not None)
    folders: dict[str, etree._Element] = {}
    for category in categories:
        parent_id = category.rpartition("/")[0]
        parent = folders.get(parent_id, body)
        children = [c for c in categories if c.startswith(category + "/")]
        info = by_category[category]
        if children:
            folder = etree.SubElement(parent, "outline", text=info.title, title=info.title)
            folders[category] = folder
            _feed_outline(folder, info, text=f"{info.title} (all)")
        else:
            _feed_outline(parent, info)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document


def _feed_outline(parent: etree._Element, info: FeedInfo, text: str | None = None) -> None:
    etree.SubElement(
        parent,
        "outline",
        type="rss",
        text=text or info.title,
        title=text or info.title,
        xmlUrl=info.url_for("atom"),
        htmlUrl=info.site_url,
    )
