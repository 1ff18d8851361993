"""The sweep runner: seeds (and grids) -> ``vmap`` -> sharded over all devices -> cached chunks.

Every experiment runs its seeds through :func:`run_seeds`, so that scaling is solved once:

* seed ``i`` receives ``jax.random.split(key, n_seeds)[i]``, so the result equals
  ``jax.vmap(fn)(jax.random.split(key, n_seeds))``;
* the seed axis is sharded over every device in ``jax.devices()`` with a one-axis
  :class:`jax.sharding.Mesh` and a :class:`~jax.sharding.NamedSharding` (plain ``vmap`` on one CPU,
  every chip of a GPU node or TPU slice otherwise; multi-host runs call
  ``jax.distributed.initialize()`` first, see the README);
* with ``chunk_size`` set, seeds run in chunks of that many; each finished chunk is written to
  ``cache_dir`` (atomically) so an interrupted sweep resumes where it stopped;
* a tqdm progress bar runs over chunks on a terminal and is silent otherwise.

Results are bitwise identical whatever the number of devices and the chunk size. XLA's numerics
can depend on the vmapped batch size (vectorised reductions sum in another order for small batches),
so each device does not vmap its whole shard: it runs ``lax.map`` over blocks of ``block_size``
seeds, each block a ``vmap`` of fixed width. Devices, chunks and padding only change how many blocks
run where, never the program that computes a seed (tested with 1 and 4 forced host devices). The
values equal ``jax.vmap(fn)(jax.random.split(key, n_seeds))`` up to that summation order (and
bitwise when ``block_size`` equals ``n_seeds``).

Known XLA:CPU issue (jaxlib 0.10.2, still reproduced): a whole ACU stream -- a ``lax.scan`` of
Cholesky, ``eigvalsh`` and solves -- vmapped over 2 or more seeds hangs at execution (all threads
idle), while the same function with batch 1 or under ``lax.map`` runs, and so does the vmapped batch
with ``XLA_FLAGS=--xla_cpu_enable_concurrency_optimized_scheduler=false``, which ``import
unlearnlab`` sets unless the user set that flag (``unlearnlab/_xla.py``; reproducer:
``tests/lab/test_xla_cpu_hang.py``). ACU's experiment also passes ``block_size=1``: each device then
maps over seeds one at a time (the vectorisation is lost, the sharding is not).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

try:  # jax >= 0.7
    from jax import shard_map as _shard_map
except ImportError:  # pragma: no cover
    from jax.experimental.shard_map import shard_map as _shard_map

from unlearnlab.lab.checks import check_int

__all__ = ["run_seeds", "run_grid", "seed_keys", "seed_mesh"]

_AXIS = "seeds"


def seed_keys(key, n_seeds: int):
    """The per-seed keys used by :func:`run_seeds`: ``jax.random.split(key, n_seeds)``."""
    from unlearnlab.lab.checks import check_size

    n_seeds = check_size("n_seeds", n_seeds)
    return jax.random.split(key, n_seeds)


def seed_mesh(devices=None) -> Mesh:
    """A one-axis mesh named ``"seeds"`` over ``devices`` (default: all of ``jax.devices()``)."""
    devices = jax.devices() if devices is None else list(devices)
    return Mesh(np.asarray(devices), (_AXIS,))


def _key_fingerprint(keys) -> str:
    data = keys
    if jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
        data = jax.random.key_data(keys)
    return hashlib.sha256(np.asarray(data).tobytes()).hexdigest()[:16]


def _save_chunk(path: Path, leaves) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        np.savez(f, *leaves)
    os.replace(tmp, path)


def _load_chunk(path: Path, n_leaves: int):
    with np.load(path) as z:
        return [z[f"arr_{i}"] for i in range(n_leaves)]


_PROGRAMS: OrderedDict = OrderedDict()  # (fn, devices, block) -> jitted program
_COMPILED: OrderedDict = OrderedDict()  # (program, input signature) -> compiled executable
_SHAPES: OrderedDict = OrderedDict()  # (fn, key signature) -> output shape structure
_MAX_CACHED = 64


def _remember(cache: OrderedDict, key, make):
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    if len(cache) > _MAX_CACHED:
        cache.popitem(last=False)
    return value


def _batched_program(fn, mesh: Mesh, block: int):
    """The jitted program for ``fn`` on ``mesh``: ``lax.map`` over fixed-width ``vmap`` blocks.

    Cached by ``(fn, devices, block)`` so that calling :func:`run_seeds` again with the same
    function reuses the compiled executable instead of recompiling it.
    """

    def make():
        def per_device(k):
            blocks = k.reshape((-1, block) + k.shape[1:])
            out = jax.lax.map(jax.vmap(fn), blocks)
            return jax.tree.map(lambda a: a.reshape((-1,) + a.shape[2:]), out)

        spec = PartitionSpec(_AXIS)
        # check_vma=False: fn is arbitrary user code (e.g. a lax.scan whose zero-initialised carry
        # would otherwise be typed as device-invariant); each seed's computation is local anyway.
        return jax.jit(
            _shard_map(per_device, mesh=mesh, in_specs=spec, out_specs=spec, check_vma=False)
        )

    key = (fn, tuple(d.id for d in mesh.devices.flat), block)
    return _remember(_PROGRAMS, key, make)


def _compile(program, k):
    sig = (program, k.shape, str(k.dtype), jax.config.jax_enable_x64)
    return _remember(_COMPILED, sig, lambda: program.lower(k).compile())


def run_seeds(
    fn: Callable[[Any], Any],
    key,
    n_seeds: int,
    *,
    chunk_size: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    cache_key: str | None = None,
    progress: bool | None = None,
    desc: str | None = None,
    devices=None,
    timings: dict | None = None,
    block_size: int | None = None,
):
    """Run ``fn`` on ``n_seeds`` independent keys, vmapped and sharded over devices.

    Args:
      fn: ``fn(key) -> pytree`` of arrays, written for one seed. It must be jit-compatible.
      key: a PRNG key; seed ``i`` gets ``jax.random.split(key, n_seeds)[i]``.
      n_seeds: number of seeds (``>= 1``).
      chunk_size: seeds per chunk (default: all at once). Each chunk is padded to a multiple of
        the device count, so one compiled program serves every chunk.
      cache_dir: where finished chunks are stored (needs ``cache_key``). A chunk already there is
        loaded instead of recomputed, so an interrupted sweep resumes.
      cache_key: a string identifying ``fn`` and its configuration (for example a config hash).
        The cache file name also includes a fingerprint of ``key``, ``n_seeds`` and ``chunk_size``.
      progress: show a tqdm bar over chunks (default: only when stderr is a terminal).
      desc: label for the progress bar.
      devices: devices to shard the seed axis over (default ``jax.devices()``).
      timings: if a dict is given, ``compile_s`` and ``run_s`` (seconds, with
        ``block_until_ready``) are added to it.
      block_size: width of the fixed ``vmap`` blocks each device maps over (default
        ``min(8, n_seeds)``). Results are bitwise reproducible for a given ``block_size`` whatever
        the devices and chunk size. Chunks are padded to a multiple of ``devices x block_size``.
        The default suits CPUs; on an accelerator pass a wide block (one H200, 4,096 small seeds:
        2.2x a bare ``jit(vmap(fn))`` with 8, 1.2x with one block per device; see
        ``benchmarks/RESULTS.md``).

    Returns:
      The pytree returned by ``fn`` with a leading axis of size ``n_seeds`` on every leaf, as NumPy
      arrays (host memory).
    """
    n_seeds = check_int("n_seeds", n_seeds, min_value=1)
    chunk = n_seeds if chunk_size is None else check_int("chunk_size", chunk_size, min_value=1)
    chunk = min(chunk, n_seeds)
    if cache_dir is not None and cache_key is None:
        raise ValueError("`cache_key` is required when `cache_dir` is given.")

    block = (
        min(8, n_seeds) if block_size is None else check_int("block_size", block_size, min_value=1)
    )
    keys = seed_keys(key, n_seeds)
    mesh = seed_mesh(devices)
    n_dev = mesh.devices.size
    unit = n_dev * block
    padded = -(-chunk // unit) * unit
    sharding = NamedSharding(mesh, PartitionSpec(_AXIS))

    out_struct = _remember(
        _SHAPES, (fn, keys.shape[1:], str(keys.dtype)), lambda: jax.eval_shape(fn, keys[0])
    )
    leaves_struct, treedef = jax.tree.flatten(out_struct)

    cache_path = None
    if cache_dir is not None:
        cache_path = Path(cache_dir)
        cache_path.mkdir(parents=True, exist_ok=True)
        stem = f"{cache_key}-{_key_fingerprint(keys)}-n{n_seeds}-c{chunk}-b{block}"

    batched = _batched_program(fn, mesh, block)
    compiled = None
    t_compile = 0.0
    t_run = 0.0

    starts = list(range(0, n_seeds, chunk))
    if progress is None:
        progress = sys.stderr.isatty()
    iterator = starts
    if progress and len(starts) > 0:
        from tqdm.auto import tqdm

        iterator = tqdm(starts, desc=desc or "seeds", unit="chunk", leave=False)

    pieces: list[list[np.ndarray]] = []
    for i, start in enumerate(iterator):
        stop = min(start + chunk, n_seeds)
        path = cache_path / f"{stem}-{i}.npz" if cache_path is not None else None
        if path is not None and path.exists():
            pieces.append(_load_chunk(path, len(leaves_struct)))
            continue
        k = keys[start:stop]
        if stop - start < padded:  # pad with copies of the first key; sliced off below
            k = jnp.concatenate([k, jnp.repeat(k[:1], padded - (stop - start), axis=0)], axis=0)
        k = jax.device_put(k, sharding)
        if compiled is None:
            t0 = time.perf_counter()
            compiled = _compile(batched, k)
            t_compile = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(k))
        t_run += time.perf_counter() - t0
        leaves = [np.asarray(x)[: stop - start] for x in jax.tree.leaves(out)]
        if path is not None:
            _save_chunk(path, leaves)
        pieces.append(leaves)

    if timings is not None:
        timings["compile_s"] = timings.get("compile_s", 0.0) + t_compile
        timings["run_s"] = timings.get("run_s", 0.0) + t_run
    leaves = [np.concatenate([p[j] for p in pieces], axis=0) for j in range(len(leaves_struct))]
    return jax.tree.unflatten(treedef, leaves)


def run_grid(fn: Callable[[Any, Any], Any], key, grid, n_seeds: int, **kwargs):
    """Run ``fn(key, params)`` for every grid point and seed (common random numbers across the grid).

    ``grid`` is a pytree of arrays whose leaves share a leading grid axis of size ``G``; every grid
    point of seed ``i`` uses the same key ``jax.random.split(key, n_seeds)[i]``. The seed axis is
    sharded and chunked as in :func:`run_seeds` (keyword arguments are passed on).

    Returns:
      A pytree whose leaves have shape ``(n_seeds, G, ...)``.
    """
    from unlearnlab.lab.checks import check_size

    check_size("n_seeds", n_seeds)
    sizes = {np.shape(x)[0] for x in jax.tree.leaves(grid)}
    if len(sizes) != 1:
        raise ValueError(f"`grid` leaves must share one leading axis; got sizes {sorted(sizes)}.")
    if 0 in sizes:
        raise ValueError("`grid` must hold at least one grid point; got leading axis 0.")
    grid = jax.tree.map(jnp.asarray, grid)

    def per_seed(k):
        return jax.vmap(lambda p: fn(k, p))(grid)

    return run_seeds(per_seed, key, n_seeds, **kwargs)
