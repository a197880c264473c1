"""Files written atomically: whole or not at all, readable as a plainly written file is."""

import stat

import pytest

from multigrade.io import atomic_path, write_json


def test_a_result_is_readable_as_a_plainly_written_file_is(tmp_path):
    write_json(tmp_path / "metrics.json", {"test_rse": 0.1})
    (tmp_path / "plain.txt").write_text("")
    mode = stat.S_IMODE((tmp_path / "metrics.json").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)  # 0644 under umask 022, not 0600


def test_a_write_that_fails_leaves_neither_the_file_nor_its_temporary(tmp_path):
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_path(tmp_path / "metrics.json") as tmp:
            tmp.write_text('{"half": ')
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
