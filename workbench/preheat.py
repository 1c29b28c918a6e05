"""The request's query string in a Voilà page kernel, robust to a slow start.

In a pre-heated kernel, ``voila.utils.get_query_string`` opens a websocket back to the app
server and waits there for the participant's request. It gives up after a 5 s open
timeout (or at once if the connection is refused) and then returns no query string, so
the kernel would build its page with no token and show the participant who later gets
it a refusal. That happens when many kernels start at once on a busy machine, which is
exactly when a workshop opens. :func:`query_string` tries again until the connection
succeeds; the app server keeps a request that arrives meanwhile and sends it on connect.
"""

from __future__ import annotations

import logging
import os
import time

from voila.utils import ENV_VARIABLE, wait_for_request

log = logging.getLogger("workbench.preheat")

#: seconds to keep trying to reach the app server before giving up
GIVE_UP_S = 600.0
#: pause between attempts whose connection was refused at once
RETRY_PAUSE_S = 0.5
_NO_REQUEST = "workbench: no request yet (this is not a query string)"


def query_string(give_up_s: float = GIVE_UP_S) -> str | None:
    """The query string of the page request this kernel serves (None if it never came)."""
    if os.getenv(ENV_VARIABLE.VOILA_PREHEAT, "False") == "False":
        return os.getenv(ENV_VARIABLE.QUERY_STRING)  # set when the kernel was started
    deadline = time.monotonic() + give_up_s
    attempt = 0
    while True:
        attempt += 1
        os.environ[ENV_VARIABLE.QUERY_STRING] = _NO_REQUEST
        wait_for_request()  # blocks until the request arrives, or fails to connect
        value = os.environ.get(ENV_VARIABLE.QUERY_STRING)
        if value != _NO_REQUEST:
            return value
        if time.monotonic() >= deadline:
            os.environ.pop(ENV_VARIABLE.QUERY_STRING, None)
            log.error("no page request reached this kernel after %d attempts", attempt)
            return None
        log.warning("could not reach the app server for the request (attempt %d)", attempt)
        time.sleep(RETRY_PAUSE_S)
