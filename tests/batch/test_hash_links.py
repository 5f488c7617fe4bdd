"""The stable id hash against its documented formula; linked customers grouped."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bnpl_risk.batch._hash import bucket_of, hash_ids
from bnpl_risk.batch._links import components, find_routing
from bnpl_risk.batch._sources import find_sources

M = 2**64


def _mix(h: int) -> int:
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) % M
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) % M
    return h ^ (h >> 31)


def reference_hash(text: str) -> int:
    """The module docstring's formula, one Python int at a time."""
    data = text.encode()
    if not data:
        return 0
    total = 0
    for j in range(0, len(data), 8):
        word = int.from_bytes(data[j : j + 8].ljust(8, b"\0"), "little")
        total = (total + word * pow(0x100000001B3, j // 8 + 1, M)) % M
    return _mix(total ^ (len(data) * 0x9E3779B97F4A7C15 % M))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=150), min_size=1, max_size=40))
def test_hash_is_the_documented_formula(texts):
    assert hash_ids(pa.array(texts)).tolist() == [reference_hash(t) for t in texts]


def test_hash_reads_ids_as_the_contract_does():
    text = hash_ids(pa.array(["7", "8", None, ""]))
    assert text[2:].tolist() == [0, 0]  # missing and empty text: no customer
    for same in (pa.array([7, 8, None, None]), pa.array([7.0, 8.0, None, None])):
        assert hash_ids(same).tolist() == text.tolist()
    dictionary = pa.array(["7", "8", None, "7"]).dictionary_encode()
    assert hash_ids(dictionary)[[0, 3]].tolist() == [text[0]] * 2
    chunked = pa.chunked_array([["x", "7"], ["8"]])
    sliced = pa.array(["x", "7", "8"]).slice(1)
    assert hash_ids(chunked)[1:].tolist() == hash_ids(sliced).tolist() == text[:2].tolist()


def test_buckets_are_stable_and_spread():
    ids = pa.array([f"c{i:07d}" for i in range(20_000)])
    buckets = bucket_of(hash_ids(ids), 7)
    assert buckets.min() == 0
    assert buckets.max() == 6
    counts = np.bincount(buckets)
    assert counts.min() > 0.9 * counts.mean()


def _brute_force_components(a, b):
    nodes = sorted(set(a) | set(b))
    neighbours = {n: set() for n in nodes}
    for x, y in zip(a, b, strict=True):
        neighbours[x].add(y)
        neighbours[y].add(x)
    leader = {}
    for n in nodes:
        if n in leader:
            continue
        seen, stack = {n}, [n]
        while stack:
            for m in neighbours[stack.pop()] - seen:
                seen.add(m)
                stack.append(m)
        for m in seen:
            leader[m] = min(seen)
    return nodes, [leader[n] for n in nodes]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1, max_size=40))
def test_components_match_a_graph_search(edges):
    a, b = (np.array(x, dtype=np.uint64) for x in zip(*edges, strict=True))
    nodes, leaders = components(a, b)
    expected_nodes, expected_leaders = _brute_force_components(a.tolist(), b.tolist())
    assert nodes.tolist() == expected_nodes
    assert leaders.tolist() == expected_leaders


@pytest.fixture
def linked_book(tmp_path):
    """c1-c2 share order o1; installments of o3 (c3's) are filed under c4; o9 has no customer."""
    customers = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c4", "c5"]})
    orders = pd.DataFrame(
        {"order_id": ["o1", "o1", "o3", "o4", "o9"], "customer_id": ["c1", "c2", "c3", "c4", None]}
    )
    installments = pd.DataFrame(
        {"loan_id": ["o1", "o3", "o3", "o9"], "customer_id": ["c1", "c3", "c4", "c5"]}
    )
    applications = pd.DataFrame({"application_id": ["a1", "a2"], "customer_id": ["c5", "c5"]})
    for name, frame in {
        "customers": customers,
        "orders": orders,
        "installments": installments,
        "applications": applications,
    }.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    return tmp_path


def test_customers_sharing_keys_get_one_leader(linked_book, tmp_path):
    routing = find_routing(find_sources(linked_book), tmp_path / "links")
    names = ["c1", "c2", "c3", "c4", "c5"]
    customers = hash_ids(pa.array(names))
    h = dict(zip(names, customers, strict=True))
    routed = routing.route(customers)
    assert routed[0] == routed[1] == min(h["c1"], h["c2"])
    assert routed[2] == routed[3] == min(h["c3"], h["c4"])
    assert routed[4] == h["c5"]
    # The order without a customer goes where installments of its loan go: c5.
    o9 = hash_ids(pa.array(["o9"]))
    assert routing.route(np.zeros(1, dtype=np.uint64), o9).tolist() == [h["c5"]]


def test_a_clean_book_has_no_links(tmp_path):
    for name, frame in {
        "customers": pd.DataFrame({"customer_id": ["c1", "c2"]}),
        "orders": pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": ["c1", "c2"]}),
        "installments": pd.DataFrame({"loan_id": ["o1", "o1"], "customer_id": ["c1", "c1"]}),
        "applications": pd.DataFrame({"application_id": ["a1"], "customer_id": ["c2"]}),
    }.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    assert len(find_routing(find_sources(tmp_path), tmp_path / "links")) == 0
