"""A site's logo used as every card's thumbnail is not an image of the story."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import replace

from newsdesk.models import Item

log = logging.getLogger("newsdesk")
MIN_STORIES = 3
SHARE = 0.5  # of the stories with an image


def without_shared_image(items: list[Item], source: str) -> list[Item]:
    """The items, without an image that most of the source's stories share (counted once per story)."""
    per_story = {(item.url or item.title): item.image for item in items if item.image}
    if len(per_story) < MIN_STORIES:
        return items
    image, count = Counter(per_story.values()).most_common(1)[0]
    if count < MIN_STORIES or count < SHARE * len(per_story):
        return items
    log.info(
        "source %r: the image %s is on %d of its %d stories (a logo?): not used",
        source,
        image,
        count,
        len(per_story),
    )
    return [replace(item, image=None) if item.image == image else item for item in items]
