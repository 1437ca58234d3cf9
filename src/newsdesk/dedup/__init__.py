"""Deduplication, pure: `identity` (identity keys, content hash, richest-wins merge), `near`
(near-duplicate judge and LSH index), `decide` (what to do with an item, given the rows the store holds).

Nothing is imported here, so that using one part does not load the others.
"""
