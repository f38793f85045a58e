"""Readiness checks: named probes a load balancer's GET /readyz runs, each with a time limit.

A check is a plain function that returns a short line on success and raises NotReady with a
message a person can act on otherwise. Other parts add theirs (a job queue adds "queue").
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import anyio

log = logging.getLogger("intentsync.health")

CHECK_TIMEOUT_SECONDS = 5.0

Check = Callable[[], str]


class NotReady(Exception):
    """Raised by a check: what is wrong and what fixes it, safe to show to anyone.

    detail goes to this process's log only: it may name hosts or users the public must not see.
    """

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str
    detail: str | None = None


class ReadinessChecks:
    """The checks one app runs for /readyz, in the order they were added."""

    def __init__(self, timeout: float = CHECK_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._checks: dict[str, Check] = {}
        self._last_ok: dict[str, bool] = {}

    def add(self, name: str, check: Check) -> None:
        if name in self._checks:
            raise ValueError(f"a readiness check named {name!r} is already registered")
        self._checks[name] = check

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def run(self) -> list[CheckResult]:
        """Every check, each in a worker thread and given up after the timeout."""
        return [await self._run_one(name, check) for name, check in self._checks.items()]

    async def _run_one(self, name: str, check: Check) -> CheckResult:
        try:
            with anyio.fail_after(self.timeout):
                message = await anyio.to_thread.run_sync(check, abandon_on_cancel=True)
            result = CheckResult(name, True, message)
        except NotReady as exc:
            result = CheckResult(name, False, str(exc), exc.detail)
        except TimeoutError:
            result = CheckResult(name, False, f"no answer within {self.timeout:g}s")
        except Exception as exc:
            log.exception("readiness check %s failed unexpectedly", name)
            result = CheckResult(name, False, f"the check failed ({type(exc).__name__})")
        if self._last_ok.get(name, True) != result.ok:  # log changes, not every probe
            level = logging.INFO if result.ok else logging.WARNING
            said = "ok" if result.ok else result.detail or result.message
            log.log(level, "readiness %s: %s", name, said)
        self._last_ok[name] = result.ok
        return result
