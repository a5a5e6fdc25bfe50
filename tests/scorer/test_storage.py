"""Where a worker keeps its tables: the store URL, RocksDB options, its own data dir."""

import tempfile
from pathlib import Path

import pytest

from smileback.common.errors import ConfigError
from smileback.scorer import storage
from smileback.scorer.settings import ScorerSettings
from smileback.scorer.storage import ROCKSDB_OPTIONS, store_url, table_options, worker_data_dir


def test_rocksdb_is_the_default_store_with_the_rocksdict_driver():
    assert store_url(ScorerSettings()) == "rocksdb://"
    assert table_options(ScorerSettings()) == {"driver": "rocksdict", **ROCKSDB_OPTIONS}
    memory = ScorerSettings(scorer_store="memory")
    assert (store_url(memory), table_options(memory)) == ("memory://", None)


def test_each_worker_gets_a_new_data_dir_under_the_temp_dir_removed_when_it_stops(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = ScorerSettings()
    with (
        worker_data_dir(settings, app_id="app") as first,
        worker_data_dir(settings, app_id="app") as second,
    ):
        assert first != second
        assert first.parent == second.parent == tmp_path
        assert first.name.startswith("app-")
        (first / "v1").mkdir()
    assert list(tmp_path.iterdir()) == []


def test_a_configured_data_dir_is_kept_and_held_by_one_worker_at_a_time(tmp_path):
    settings = ScorerSettings(scorer_data_dir=str(tmp_path / "w1"))
    with worker_data_dir(settings, app_id="app") as path:
        assert path == Path(tmp_path / "w1")
        (path / "tables").mkdir()
        with (
            pytest.raises(ConfigError, match="in use by another worker"),
            worker_data_dir(settings, app_id="app"),
        ):
            pass
    assert (tmp_path / "w1" / "tables").is_dir()
    with worker_data_dir(settings, app_id="app") as again:  # released when the first stopped
        assert again == path


def test_a_new_worker_removes_the_temporary_data_dirs_of_killed_workers_only(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    killed = tmp_path / "app-killed"
    (killed / "v1").mkdir(parents=True)
    (killed / ".lock").touch()
    foreign = tmp_path / "app-data"  # no lock file: not a worker's data dir
    foreign.mkdir()
    settings = ScorerSettings()
    with worker_data_dir(settings, app_id="app") as running:
        with worker_data_dir(settings, app_id="app") as second:
            assert running.is_dir()  # held by a live worker: kept
            assert not killed.exists()
            assert foreign.is_dir()
        assert not second.exists()


def test_a_worker_starting_while_another_makes_its_dir_does_not_take_it_for_abandoned(
    tmp_path, monkeypatch
):
    """Two workers on one host starting at once: the second clears killed workers' dirs
    just as the first is about to lock its new one. The first keeps its dir."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real_flock = storage.fcntl.flock
    racing = []

    def flock(file, operation):
        if not racing:  # the first lock taken: the other worker starts right now
            racing.append(True)
            for found in tmp_path.glob("app-*"):
                storage._remove_if_abandoned(found)
        return real_flock(file, operation)

    monkeypatch.setattr(storage.fcntl, "flock", flock)
    with worker_data_dir(ScorerSettings(), app_id="app") as path:
        assert path.is_dir()
        assert (path / ".lock").is_file()
        monkeypatch.setattr(storage.fcntl, "flock", real_flock)
        with pytest.raises(ConfigError, match="in use by another worker"), storage._locked(path):
            pass  # held: a third worker would find it taken, not abandoned
