"""The Secret cache serves a Secret from memory only while the metadata watch vouches for it: read once,
again after each change the watch reports, never across a gap in the watch."""

import threading

from elasticache_operator.kube.secret_cache import SecretCache, Stored

KEY = ("apps", "sessions-password")


def meta(rv, name=KEY[1], namespace=KEY[0]):
    return {"namespace": namespace, "name": name, "resourceVersion": rv}


class Api:
    """A fetch that counts its calls and serves whatever the test says the API holds."""

    def __init__(self, rv="1"):
        self.holds = Stored(rv, {"password": "cw=="}) if rv else None
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.holds


def synced(*items, namespace=None):
    cache = SecretCache()
    cache.listed(namespace, [{"metadata": m} for m in items])
    return cache


def test_nothing_is_served_before_the_watch_has_listed():
    cache, api = SecretCache(), Api()
    assert cache.get(KEY, api) == api.holds and cache.get(KEY, api) == api.holds
    assert api.calls == 2


def test_a_secret_is_read_once_then_again_only_after_the_watch_reports_a_change():
    cache, api = synced(meta("1")), Api("1")
    for _ in range(3):
        assert cache.get(KEY, api).resource_version == "1"
    assert api.calls == 1
    cache.changed("MODIFIED", meta("1"))  # the event of the very version read, arriving late: still current
    cache.get(KEY, api)
    assert api.calls == 1
    api.holds = Stored("2", {"password": "dA=="})
    cache.changed("MODIFIED", meta("2"))
    assert cache.get(KEY, api).resource_version == "2" and cache.get(KEY, api).resource_version == "2"
    assert api.calls == 2


def test_a_change_reported_while_the_read_is_under_way_is_not_hidden_by_it():
    cache = synced(meta("1"))
    old = Stored("1")

    def read_then_changed():
        cache.changed("MODIFIED", meta("2"))  # the watch reports version 2 before the older answer is kept
        return old

    assert cache.get(KEY, read_then_changed) is old
    api = Api("2")
    assert cache.get(KEY, api).resource_version == "2" and api.calls == 1


def test_a_missing_secret_is_remembered_until_the_watch_sees_it_made():
    cache, api = synced(), Api(rv=None)
    assert cache.get(KEY, api) is None and cache.get(KEY, api) is None
    assert api.calls == 1
    api.holds = Stored("5")
    cache.changed("ADDED", meta("5"))
    assert cache.get(KEY, api).resource_version == "5" and api.calls == 2


def test_what_the_operator_wrote_is_served_without_reading_it_back_even_before_the_watch_says_so():
    cache, api = synced(), Api(rv=None)
    cache.written(KEY, cache.basis(KEY), Stored("7", {"host": "aA=="}))
    assert cache.get(KEY, api).resource_version == "7" and api.calls == 0
    cache.changed("ADDED", meta("7"))  # its own event
    assert cache.get(KEY, api).resource_version == "7" and api.calls == 0
    cache.written(KEY, cache.basis(KEY), None)  # deleted it
    assert cache.get(KEY, api) is None
    cache.changed("DELETED", meta("7"))
    assert cache.get(KEY, api) is None and api.calls == 0
    cache.changed("MODIFIED", meta("8"))  # someone else's write after ours
    api.holds = Stored("8")
    assert cache.get(KEY, api).resource_version == "8" and api.calls == 1


def test_a_write_made_while_the_watch_was_incomplete_is_not_kept():
    cache, api = SecretCache(), Api("3")
    cache.written(KEY, cache.basis(KEY), Stored("2"))
    cache.listed(None, [{"metadata": meta("3")}])
    assert cache.get(KEY, api).resource_version == "3" and api.calls == 1


def test_a_gap_in_the_watch_serves_nothing_until_the_next_listing_tells_what_is_current():
    other = ("apps", "other")
    cache, api, other_api = synced(meta("1"), meta("4", name=other[1])), Api("1"), Api("4")
    cache.get(KEY, api), cache.get(other, other_api)
    cache.lost(None)  # a 410, a cut stream: events may be missed from here on
    cache.get(KEY, api)
    assert api.calls == 2
    # Meanwhile KEY changed and `other` did not: the listing says so.
    api.holds = Stored("9")
    cache.listed(None, [{"metadata": meta("9")}, {"metadata": meta("4", name=other[1])}])
    assert cache.get(KEY, api).resource_version == "9" and api.calls == 3
    assert cache.get(other, other_api).resource_version == "4" and other_api.calls == 1
    cache.lost(None)
    cache.listed(None, [])  # both deleted during the gap
    api.holds = other_api.holds = None
    assert cache.get(KEY, api) is None and cache.get(other, other_api) is None
    assert api.calls == 4 and other_api.calls == 2


def test_a_refused_write_makes_the_next_read_go_to_the_api():
    cache, api = synced(meta("1")), Api("1")
    cache.get(KEY, api)
    cache.forget(KEY)
    cache.get(KEY, api)
    assert api.calls == 2


def test_a_watch_of_one_namespace_vouches_for_that_namespace_only():
    cache = synced(meta("1"), namespace="apps")
    elsewhere, here = Api("1"), Api("1")
    for _ in range(2):
        cache.get(("prod", KEY[1]), elsewhere)
        cache.get(KEY, here)
    assert (elsewhere.calls, here.calls) == (2, 1)
    assert (cache.reads, cache.hits) == (3, 1)


def test_events_of_secrets_nobody_asked_for_are_not_kept():
    cache = synced()
    for i in range(100):
        cache.changed("ADDED", meta(str(i), name=f"unrelated-{i}"))
    assert not cache._seen and not cache._entries


def at_once(cache, visits, read, release):
    """`visits` threads ask the cache for KEY at once; `release` lets the read under way finish."""
    outcomes = []

    def visit():
        try:
            outcomes.append(cache.get(KEY, read))
        except ConnectionError as e:
            outcomes.append(e)

    threads = [threading.Thread(target=visit) for _ in range(visits)]
    for t in threads:
        t.start()
    while not cache._flights:
        threading.Event().wait(0.01)
    release.set()
    for t in threads:
        t.join(5)
    return outcomes


def test_visits_wanting_one_secret_at_once_wait_for_one_read_and_a_failed_read_is_not_queued():
    cache, release, calls = synced(meta("1")), threading.Event(), []

    def slow():
        calls.append(1)
        release.wait(5)
        return Stored("1")

    results = at_once(cache, 8, slow, release)
    assert len(results) == 8 and {r.resource_version for r in results} == {"1"} and len(calls) == 1

    cache.changed("MODIFIED", meta("2"))
    failing, failed = threading.Event(), []

    def broken():
        failed.append(1)
        failing.wait(5)
        raise ConnectionError("the API is away")

    outcomes = at_once(cache, 4, broken, failing)
    assert len(outcomes) == 4 and all(isinstance(o, ConnectionError) for o in outcomes)
    assert len(failed) == 4 and not cache._flights  # each tried on its own once the shared read failed


def test_the_events_of_the_operators_own_writes_are_no_news_and_anyone_elses_are():
    cache = synced()
    assert cache.changed("ADDED", meta("1"))  # nobody asked for it: news to whoever follows it
    cache.written(KEY, cache.basis(KEY), Stored("2"))
    assert not cache.changed("MODIFIED", meta("2"))  # its own write coming back
    assert cache.changed("MODIFIED", meta("3"))  # edited by hand
    cache.get(KEY, Api("3"))
    cache.written(KEY, cache.basis(KEY), None)
    assert not cache.changed("DELETED", meta("3"))  # its own delete
    assert cache.changed("ADDED", meta("4"))  # made again by someone else
