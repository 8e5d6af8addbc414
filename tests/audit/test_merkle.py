"""The Merkle tree of audit entries (audit/merkle.py) against RFC 9162's own recursive definitions of MTH and PATH:
every tree size up to 70, every leaf, the incremental frontier, and proofs that must fail."""
from __future__ import annotations

import hashlib

from audit import merkle


def mth(d: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1, literally."""
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return merkle.node_hash(mth(d[:k]), mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1, literally."""
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    return path(m, d[:k]) + [mth(d[k:])] if m < k else path(m - k, d[k:]) + [mth(d[:k])]


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(hashlib.sha256(str(i).encode()).hexdigest()) for i in range(n)]


def test_roots_proofs_and_frontiers_match_the_rfc_for_every_size_up_to_70():
    for n in range(1, 71):
        d = leaves(n)
        root = mth(d)
        assert merkle.root(d) == root
        frontier, size = merkle.extend([], 0, d[: n // 3])
        frontier, size = merkle.extend(merkle.frontier_from_text(merkle.frontier_text(frontier)), size, d[n // 3:])
        assert (merkle.frontier_root(frontier), size) == (root, n)
        assert len(frontier) == bin(n).count("1")
        for m in range(n):
            proof = merkle.inclusion_proof(d, m)
            assert proof == path(m, d)
            assert merkle.root_from_inclusion(d[m], m, n, proof) == root


def test_a_proof_for_another_leaf_position_or_size_or_a_shortened_one_fails():
    d = leaves(13)
    root = merkle.root(d)
    proof = merkle.inclusion_proof(d, 5)
    assert merkle.root_from_inclusion(d[5], 6, 13, proof) != root
    last = merkle.inclusion_proof(d, 12)
    assert merkle.root_from_inclusion(d[12], 12, 13, last) == root
    assert merkle.root_from_inclusion(d[12], 12, 16, last) != root  # the size is part of what a proof proves
    assert merkle.root_from_inclusion(d[5], 5, 13, proof[:-1]) != root
    assert merkle.root_from_inclusion(d[4], 5, 13, proof) != root
    assert merkle.root_from_inclusion(d[5], 13, 13, proof) is None
    assert merkle.root([]) == merkle.EMPTY_ROOT == hashlib.sha256(b"").digest()
