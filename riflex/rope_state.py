"""What every RIFLEx RoPE replacement keeps between calls, safe when ComfyUI calls one model
from several threads at once (MultiGPU runs cond and uncond on different devices in threads).

- The plan key of the call in progress is per thread: the sampler-side wrapper sets it on the
  thread that runs the model call, and another thread's call never sees it (or its reset).
- The per-shape tables are one small cache behind a lock.
Both are built anew, never copied, when a replacement is copied.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["PlannedRope", "TABLE_CACHE_SIZE"]

# Tables kept per replacement: one per (shape, dtype, device, plan key). A few are enough for
# the cond/uncond passes and a length change; the bound keeps a long session from growing.
TABLE_CACHE_SIZE = 4


class PlannedRope:
    """Mixin: `plan_key` (per thread; None = no sampling call in progress on this thread: the
    model's own RoPE runs), `cached_table(key, build)` and `clear_tables()`.

    Contract for subclasses: with `plan_key` None, return exactly what the model's own RoPE
    returns; otherwise build from `plan_axes(plan_key)` and cache by everything the table
    depends on, plan key included. `original` is the model's own RoPE of the model this
    replacement is installed on (nodes/ makes a new replacement for a deep clone)."""

    def _init_state(self) -> None:
        object.__setattr__(self, "_call", threading.local())
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_tables", OrderedDict())

    @property
    def plan_key(self) -> object | None:
        return getattr(self._call, "plan_key", None)

    @plan_key.setter
    def plan_key(self, value: object | None) -> None:
        self._call.plan_key = value

    def cached_table(self, key: tuple, build: Callable[[], object], valid: Callable[[object], bool] | None = None):
        with self._lock:
            cached = self._tables.get(key)
            if cached is not None and (valid is None or valid(cached)):
                self._tables.move_to_end(key)
                return cached
        table = build()  # outside the lock: two threads may build the same table, never a wrong one
        with self._lock:
            self._tables[key] = table
            while len(self._tables) > TABLE_CACHE_SIZE:
                self._tables.popitem(last=False)
        return table

    def clear_tables(self) -> None:
        with self._lock:
            self._tables.clear()

    def __deepcopy__(self, memo):
        # the same plan and original, with state of its own (a lock and a thread-local cannot be copied)
        clone = copy.copy(self)
        clone._init_state()
        return clone
