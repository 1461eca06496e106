"""The Kubernetes stand-in keeps answering under load: many watches ending (by timeout or by the
client hanging up) while writes happen, on a machine whose CPUs are busy with something else.

Before the fix, this is where it broke: a watch cancelled while it waited on an asyncio.Condition
corrupted the condition's lock ("Lock is not acquired"), and from then on no request was answered.
"""

import contextlib
import random
import subprocess
import sys
import threading
import uuid

import pytest
import requests

from ..support import sandbox

LOAD_SECONDS = 12  # how long the load runs; the test then checks that everything was answered
WATCHERS = 24
WRITERS = 4


@contextlib.contextmanager
def cpu_hogs(count=2):
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.fixture
def api(tmp_path):
    with sandbox.kube_api(tmp_path / "kube-api.log") as base:
        yield base


def test_watches_ending_while_writes_happen_never_wedge_the_server(api):
    namespace = f"load-{uuid.uuid4().hex[:6]}"
    http = requests.Session()
    assert http.post(f"{api}/api/v1/namespaces", json={"metadata": {"name": namespace}}, timeout=30).status_code == 201
    configmaps = f"{api}/api/v1/namespaces/{namespace}/configmaps"
    for i in range(WRITERS):
        assert http.post(configmaps, json={"metadata": {"name": f"cm-{i}"}}, timeout=30).status_code == 201

    stop = threading.Event()
    failures: list[str] = []
    answered = {"watch": 0, "write": 0}
    lock = threading.Lock()

    def record(kind, ok, detail=""):
        with lock:
            if ok:
                answered[kind] += 1
            else:
                failures.append(f"{kind}: {detail}")

    def watcher(index):
        session = requests.Session()
        while not stop.is_set():
            try:
                # Even watchers wait for the server's own 1 s timeout. Odd ones hang up at about
                # the same moment, so the server's task is cancelled just as its wait times out.
                with session.get(
                    configmaps,
                    params={"watch": "true", "timeoutSeconds": "1", "resourceVersion": "0"},
                    stream=True,
                    timeout=(30, 0.9 + random.random() * 0.2 if index % 2 else 30),
                ) as response:
                    if response.status_code != 200:
                        record("watch", False, f"HTTP {response.status_code}")
                        continue
                    for _ in response.iter_lines():
                        pass
                record("watch", True)
            except (requests.ConnectionError, requests.Timeout) as e:
                # The client's own read timeout: expected for odd watchers, a failure for even ones.
                record("watch", bool(index % 2), repr(e))
            except requests.RequestException as e:
                record("watch", False, repr(e))

    def writer(index):
        session = requests.Session()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                response = session.patch(
                    f"{configmaps}/cm-{index}",
                    json={"data": {"n": str(n)}},
                    headers={"Content-Type": "application/merge-patch+json"},
                    timeout=30,
                )
                record("write", response.status_code == 200, f"HTTP {response.status_code}")
            except requests.RequestException as e:
                record("write", False, repr(e))

    threads = [threading.Thread(target=watcher, args=(i,), daemon=True) for i in range(WATCHERS)]
    threads += [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(WRITERS)]
    with cpu_hogs():
        for thread in threads:
            thread.start()
        stop.wait(LOAD_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)  # every request has a 30 s client timeout: this bounds the test

    assert not [t for t in threads if t.is_alive()], "requests were still unanswered a minute after the load stopped"
    assert failures == []
    assert answered["watch"] >= WATCHERS and answered["write"] >= WRITERS
    # And the server still answers afterwards.
    assert http.get(f"{configmaps}/cm-0", timeout=10).json()["data"]["n"]
