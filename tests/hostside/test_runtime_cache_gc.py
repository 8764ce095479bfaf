"""gc's sweep of the host's code cache: compiled runtimes whose runtime item is gone."""

from lispdeploy.hostside.gc import collect_runtime_cache

LIVE = "a" * 32 + "-lispdeploy-runtime"
GONE = "b" * 32 + "-lispdeploy-runtime"


def test_compiled_runtimes_of_deleted_items_go(tmp_path):
    store, cache = tmp_path / "store", tmp_path / "cache"
    store.mkdir()
    cache.mkdir()
    for name in (f"{LIVE}-a70d0d0a", f"{LIVE}-cb0d0d0a", f"{GONE}-a70d0d0a",
                 f"{LIVE}-a70d0d0a.123.tmp"):
        (cache / name).write_bytes(b"x" * 10)
    live = {f"{store}/{LIVE}"}

    would, size = collect_runtime_cache(live, dry_run=True, cache_dir=str(cache),
                                        store_dir=str(store))
    assert sorted(p.rsplit("/", 1)[1] for p in would) == [
        f"{LIVE}-a70d0d0a.123.tmp", f"{GONE}-a70d0d0a"]
    assert size == 20
    assert len(list(cache.iterdir())) == 4

    deleted, _ = collect_runtime_cache(live, cache_dir=str(cache), store_dir=str(store))
    assert deleted == would
    # One compiled runtime per Python version stays while its item lives.
    assert sorted(p.name for p in cache.iterdir()) == [f"{LIVE}-a70d0d0a", f"{LIVE}-cb0d0d0a"]


def test_no_cache_directory_is_nothing_to_do(tmp_path):
    assert collect_runtime_cache(set(), cache_dir=str(tmp_path / "none")) == ([], 0)
