"""The 1,000-resident scenario for Locust (run by benchmarks/load.py).

Each simulated user takes the next unused resident account and plays one visit as a person
would: log in, read the round page, five items (each: read the item, rate it, read its
comments), write one comment; then it takes the next account, until all are used. Between two
steps the person reads or thinks for ``THINK_SECONDS`` (uniformly 1–3 s by default): a visit of
19 requests lasts about 40 s (18 pauses), as in a browser, instead of firing them back to back (which would
measure 200 scripts hammering the server, not 200 residents using it at once).

``FastHttpUser`` (geventhttpclient) needs a fraction of the CPU of the requests-based
``HttpUser``; the load generator shares the two cores with the server, so every cycle it saves
goes to the server. BENCH_ROUND, BENCH_RESIDENTS, BENCH_PASSWORD and BENCH_THINK come from load.py.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from urllib.parse import urlencode

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

ROUND = int(os.environ.get("BENCH_ROUND", "1"))
RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "1000"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
THINK_SECONDS = tuple(float(part) for part in os.environ.get("BENCH_THINK", "1,3").split(","))
KEYS = [f"leitkoordinate-{i}" for i in range(1, 9)] + [
    f"{field}/zielbild-{n}" for field in ("mobilitaet-verkehr",) for n in (1, 2, 3)]
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
_accounts = itertools.count()  # gevent: one thread, so next() needs no lock
finished = {"sessions": 0, "broken": 0}


def think() -> None:
    gevent.sleep(random.uniform(*THINK_SECONDS))


class Resident(FastHttpUser):
    wait_time = between(0, 0)  # the pauses are inside the visit, between its steps
    network_timeout = 60.0
    connection_timeout = 60.0

    @task
    def visit(self) -> None:
        number = next(_accounts)
        if number >= RESIDENTS:
            raise StopUser()
        try:
            self._visit(number)
        except Exception:  # e.g. a page without its CSRF token: the visit cannot go on
            finished["broken"] += 1
            raise
        else:
            finished["sessions"] += 1
        if finished["sessions"] + finished["broken"] >= RESIDENTS:
            # Every visit is over: no need to wait for the time bound (a moment later, so the
            # statistics of the last answers are in).
            gevent.spawn_later(3, self.environment.runner.quit)

    def _visit(self, number: int) -> None:
        self.client.cookiejar.clear()  # a new person: new cookies
        page = self.client.get("/login", name="GET /login").text
        token = CSRF.search(page).group(1)
        think()
        self.client.post("/login", name="POST /login", allow_redirects=False,
                         data=urlencode({"email": f"resident{number}@example.org", "password": PASSWORD,
                                         "csrf_token": token}),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        think()
        page = self.client.get(f"/runden/{ROUND}", name="GET round page").text
        token = CSRF.search(page).group(1)
        keys = random.sample(KEYS, 5)
        for key in keys:
            think()
            self.client.get(f"/runden/{ROUND}/{key}", name="GET item page")
            think()
            self.client.put(f"/api/v1/rounds/{ROUND}/items/{key}/rating", name="PUT rating",
                            json={"question": "agreement", "value": random.randint(0, 5)},
                            headers={"X-CSRFToken": token})
            think()
            self.client.get(f"/api/v1/rounds/{ROUND}/items/{key}/comments", name="GET comments (API)")
        think()
        self.client.post(f"/api/v1/rounds/{ROUND}/items/{keys[0]}/comments", name="POST comment",
                         json={"stance": "suggestion", "body": f"Vorschlag von Person {number}."},
                         headers={"X-CSRFToken": token})


@events.quitting.add_listener
def _report(environment, **_kwargs) -> None:
    print(f"sessions finished: {finished['sessions']} of {RESIDENTS} (broken: {finished['broken']})", flush=True)
