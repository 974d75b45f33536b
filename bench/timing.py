"""Timing helpers shared by the benchmarks, and this host's matmul rate."""

import time

import numpy as np
import tensorflow as tf


def median_seconds(fn, args, repeats):
  """Median wall time of `fn(*args)` (outputs fetched), after one warm-up."""
  fn(*args)  # Trace (and compile).
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    tf.nest.map_structure(lambda t: t.numpy(), fn(*args))
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def matmul_gflops():
  """The float32 4096x4096 matmul rate on all threads, GFLOP/s."""
  a = tf.random.normal((4096, 4096))
  matmul = tf.function(lambda a: tf.matmul(a, a))
  seconds = median_seconds(matmul, (a,), 3)
  return 2 * 4096 ** 3 / seconds / 1e9
