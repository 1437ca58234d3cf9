"""feeds.opml: every feed, grouped by category hierarchy, importable by feed readers (OPML 2.0)."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from newsdesk.publish.atom import FeedInfo


def render_opml(title: str, owner: str, feeds: Sequence[tuple[str | None, FeedInfo, str]]) -> bytes:
    """`feeds`: (category id or None for all, info, short title); a parent with children is a folder."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "ownerName").text = owner
    body = etree.SubElement(root, "body")
    by_category = {category: (info, short) for category, info, short in feeds}
    if None in by_category:
        _feed_outline(body, by_category[None][0], text=by_category[None][0].title)
    categories = sorted(c for c in by_category if c is not None)
    folders: dict[str, etree._Element] = {}
    for category in categories:
        parent_id = category.rpartition("/")[0]
        parent = folders.get(parent_id, body)
        children = [c for c in categories if c.startswith(category + "/")]
        info, short = by_category[category]
        if children:
            folder = etree.SubElement(parent, "outline", text=short, title=short)
            folders[category] = folder
            _feed_outline(folder, info, text=f"{short} (all)")
        else:
            _feed_outline(parent, info, text=short)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return document


def _feed_outline(parent: etree._Element, info: FeedInfo, text: str) -> None:
    etree.SubElement(
        parent,
        "outline",
        type="rss",
        text=text,
        title=text,
        xmlUrl=info.url_for("atom"),
        htmlUrl=info.page_url,
    )
