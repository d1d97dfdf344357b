"""The 1,000-resident scenario for Locust (run by benchmarks/load.py).

Each simulated user takes the next unused resident account and plays one session: log in, the
round page, five items (each: read, rate, read the comments), one comment; then it takes the
next account, until all are used. BENCH_ROUND and BENCH_RESIDENTS come from load.py.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import threading

from locust import HttpUser, between, events, task
from locust.exception import StopUser

ROUND = int(os.environ.get("BENCH_ROUND", "1"))
RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "1000"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
KEYS = [f"leitkoordinate-{i}" for i in range(1, 9)] + [
    f"{field}/zielbild-{n}" for field in ("mobilitaet-verkehr",) for n in (1, 2, 3)]
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
_accounts = itertools.count()
_lock = threading.Lock()
finished = {"sessions": 0}


class Resident(HttpUser):
    wait_time = between(0.5, 2.0)

    @task
    def session(self) -> None:
        with _lock:
            number = next(_accounts)
        if number >= RESIDENTS:
            raise StopUser()
        self.client.cookies.clear()
        page = self.client.get("/login", name="GET /login").text
        token = CSRF.search(page).group(1)
        self.client.post("/login", name="POST /login", allow_redirects=False,
                         data={"email": f"resident{number}@example.org", "password": PASSWORD, "csrf_token": token})
        page = self.client.get(f"/runden/{ROUND}", name="GET round page").text
        token = CSRF.search(page).group(1)
        keys = random.sample(KEYS, 5)
        for key in keys:
            self.client.get(f"/runden/{ROUND}/{key}", name="GET item page")
            self.client.put(f"/api/v1/rounds/{ROUND}/items/{key}/rating", name="PUT rating",
                            json={"question": "agreement", "value": random.randint(0, 5)},
                            headers={"X-CSRFToken": token})
            self.client.get(f"/api/v1/rounds/{ROUND}/items/{key}/comments", name="GET comments (API)")
        self.client.post(f"/api/v1/rounds/{ROUND}/items/{keys[0]}/comments", name="POST comment",
                         json={"stance": "suggestion", "body": f"Vorschlag von Person {number}."},
                         headers={"X-CSRFToken": token})
        with _lock:
            finished["sessions"] += 1


@events.quitting.add_listener
def _report(environment, **_kwargs) -> None:
    print(f"sessions finished: {finished['sessions']} of {RESIDENTS}", flush=True)
