"""The spill files: texts come back exactly, partitioned rows in the order appended."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dedup.spill import PartitionSpill, TextSpill

ROW = np.dtype([("value", "<u8"), ("doc", "<u4")])


@given(st.lists(st.text(alphabet=st.characters(codec=None)), max_size=20))
def test_texts_come_back_exactly(tmp_path_factory, texts):
    spill = TextSpill(tmp_path_factory.mktemp("spill") / "texts.bin")
    numbers = [spill.append(text) for text in texts]
    assert numbers == list(range(len(texts)))
    assert len(spill) == len(texts)
    # read back out of order, and a text appended after reading began
    for index in reversed(range(len(texts))):
        assert spill.read(index) == texts[index]
    late = spill.append("late \ud800 text")  # a lone surrogate, as JSON input may hold
    assert spill.read(late) == "late \ud800 text"
    spill.close()


@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 4)), max_size=30),
        max_size=5,
    ),
    st.integers(1, 5),
)
def test_partitions_keep_the_order_of_their_rows(tmp_path_factory, batches, parts):
    spill = PartitionSpill(tmp_path_factory.mktemp("parts"), "rows", ROW, parts)
    expected: list[list[tuple[int, int]]] = [[] for _ in range(parts)]
    for number, batch in enumerate(batches):
        rows = np.array([(value, number) for value, _ in batch], dtype=ROW)
        partition = np.array([where % parts for _, where in batch], dtype=np.int64)
        spill.append(rows, partition)
        for (value, where), row in zip(batch, rows.tolist()):
            expected[where % parts].append(row)
            assert row == (value, number)
    for part in range(parts):
        assert spill.read(part).tolist() == expected[part]
        assert spill.rows[part] == len(expected[part])
        spill.drop(part)
        assert not (spill.path_of(part)).exists()
    spill.close()


def test_a_partition_file_that_lost_rows_is_an_error(tmp_path):
    spill = PartitionSpill(tmp_path, "rows", ROW, 1)
    spill.append(np.zeros(3, dtype=ROW), np.zeros(3, dtype=np.int64))
    spill.read(0)
    path = tmp_path / "rows-0000.bin"
    path.write_bytes(path.read_bytes()[: ROW.itemsize])
    with pytest.raises(OSError, match="1 rows, 3 written"):
        spill.read(0)
    spill.close()
