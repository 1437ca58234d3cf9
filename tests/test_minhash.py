"""MinHash without datasketch: the signatures stored by earlier releases stay comparable, bit for bit."""

from __future__ import annotations

import json

import numpy as np

from newsdesk.dedup.minhash import LSH, LSH_PARAMS, NUM_PERM, minhash, optimal_params
from newsdesk.dedup.near import signature, signature_bytes

from helpers import FIXTURES

# Computed by newsdesk 0.1.0 with datasketch 2 (MinHash num_perm=64, seed=1, scheme affine32).
KNOWN = json.loads((FIXTURES.parent / "data" / "minhash_signatures.json").read_text(encoding="utf-8"))


def test_signatures_equal_those_datasketch_stored() -> None:
    assert len(KNOWN) == 82
    for known in KNOWN:
        assert signature_bytes(signature(known["title"], known["summary"])).hex() == known["signature"]


def test_empty_input_and_lsh_bands_as_datasketch_chose_them() -> None:
    assert (minhash([]) == np.uint32(0xFFFFFFFF)).all() and minhash([]).size == NUM_PERM
    assert optimal_params(0.3, NUM_PERM) == LSH_PARAMS == (21, 3)


def test_lsh_finds_the_similar_and_forgets_the_removed() -> None:
    words = [f"w{n}".encode() for n in range(40)]
    index = LSH()
    index.insert(1, minhash(words))
    index.insert(2, minhash([f"other{n}".encode() for n in range(40)]))
    near_copy = minhash([*words[:38], b"x", b"y"])
    assert index.query(near_copy) == {1}
    index.remove(1)
    assert index.query(near_copy) == set() and 1 not in index and len(index) == 1
