"""The observation store (SPEC §2.2), in five parts:

* ``codec``: the TOML writer, and the reader (a linear-time fast path for admtrack's own layout, tomllib
  for anything else);
* ``cache``: the index kept beside it (entries in force per indicator, rows in segments, each piece
  checked by hash), behind ``get``/``put``;
* ``split``: a cold read of a big store in two processes at once (each half parsed, checked, encoded);
* ``fs``: regular files only, atomic writes (through a symbolic link), clean-up after a crash;
* ``store``: ``Store.load`` and the locked ``Store.transact``.

The store knows nothing of the plan: callers check what it read and may ``remember`` their verdict.
"""

from admtrack.store.codec import HEADER, parse_store, serialise
from admtrack.store.fs import atomic_write
from admtrack.store.store import CACHE_NAME, LOCK_NAME, STORE_NAME, Loaded, Store, now_utc

__all__ = ["CACHE_NAME", "HEADER", "LOCK_NAME", "STORE_NAME", "Loaded", "Store", "atomic_write",
           "now_utc", "parse_store", "serialise"]
