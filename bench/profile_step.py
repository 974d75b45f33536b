"""Benchmark: the slowest ops of one model's compiled training step.

    bazel run //bench:profile_step -- --model=glow
    bazel run //bench:profile_step -- --model=macow --jit_compile --steps=3

Builds a family's preset and this project's `TrainStep` on a fixed batch as
the suite's `train` cell does (`suite_cells`), runs the data-dependent
initialisation and two warm-up calls (trace and compile; not profiled), then
profiles `--steps` calls with the TensorFlow profiler, each fetching the loss
(the noise draw the step makes outside its compiled function included). The
step time is the wall time of the profiled calls, so it carries the
profiler's small per-op cost. The trace (`*.xplane.pb`) is parsed here and
its ops ranked by type and by name; the figures and this host's matmul rate
go to bench/results/profile_<model>.json (profile_<model>_xla.json with
`--jit_compile`).

What is counted, on the host CPU plane (every thread):
- Without XLA, the TF op events of the executor (`name:Type`); with XLA,
  the HLO op events of the executable (typed by their opcode from the
  trace's HLO proto; a fusion by its name, which XLA composes from the ops
  it fuses) and the TF ops outside it. The TF op that runs the executable
  is not counted: its time is the HLO ops' time plus waiting for them.
  Runtime events (function calls, executor scheduling, `ParallelFor`,
  thread pools) are not ops.
- Self time: an op event nested in another on its thread (an inlined
  function body) is taken out of the enclosing op's time.
- Wall time: stretches where ops of several threads run at once are split
  evenly between them, so the ops' shares of the step add up to at most
  100%; the rest is time no op ran (Python, dispatch, scheduling, idle).
  The thread time (self time summed over threads) is reported beside it.
"""

import bisect
import collections
import glob
import os
import re
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np
import tensorflow as tf

from bench import results_io
from bench import suite_cells
from bench import timing
from tensorflow.compiler.xla.service import hlo_pb2
from tensorflow.tsl.profiler.protobuf import xplane_pb2

flags.DEFINE_enum("model", "glow", ["glow", "realnvp", "flowpp", "macow"],
                  "Model family.")
flags.DEFINE_string("config_name", "default", "Preset of the family.")
flags.DEFINE_bool("jit_compile", False, "Compile the step with XLA (default: "
                  "graph mode).")
flags.DEFINE_integer("steps", 5, "Profiled steps, after two warm-up calls.")
flags.DEFINE_integer("top", 15, "Op types and op names listed.")
flags.DEFINE_string("output", None, "JSON path (default bench/results/"
                    "profile_<model>[_xla].json).")
FLAGS = flags.FLAGS

_WARM_UP_STEPS = 2
_HOST_PLANE = "/host:CPU"
_METADATA_PLANE = "/host:metadata"
_HLO_PROTO = "Hlo Proto"
_INSTANCE_NUMBER = re.compile(r"\.\d+$")


def _profile(step, images, steps, logdir):
  """Wall seconds of each of `steps` profiled calls; the trace's path."""
  seed = tf.constant([0, 0], tf.int64)
  for _ in range(_WARM_UP_STEPS):
    float(step(images, seed)["loss_bpd"])
  times = []
  tf.profiler.experimental.start(logdir)
  for _ in range(steps):
    start = time.perf_counter()
    float(step(images, seed)["loss_bpd"])
    times.append(time.perf_counter() - start)
  tf.profiler.experimental.stop()
  paths = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
  if len(paths) != 1:
    raise RuntimeError(f"Expected one trace under {logdir}, found {paths}.")
  return times, paths[0]


def _stats(plane, stats):
  """A stats list as {name: value}; references resolved to their names."""
  result = {}
  for stat in stats:
    kind = stat.WhichOneof("value")
    value = getattr(stat, kind)
    if kind == "ref_value":
      value = plane.stat_metadata[value].name
    result[plane.stat_metadata[stat.metadata_id].name] = value
  return result


def _hlo_opcodes(space):
  """{(program id, instruction name): op type} of the traced executables."""
  opcodes = {}
  for plane in space.planes:
    if plane.name != _METADATA_PLANE:
      continue
    for metadata in plane.event_metadata.values():
      proto = _stats(plane, metadata.stats).get(_HLO_PROTO)
      if proto is None:
        continue
      hlo = hlo_pb2.HloProto.FromString(proto)
      for computation in hlo.hlo_module.computations:
        for instruction in computation.instructions:
          opcode = instruction.opcode
          if opcode == "fusion":
            opcode = _INSTANCE_NUMBER.sub("", instruction.name)
          opcodes[(metadata.id, instruction.name)] = opcode
  return opcodes


def _op_events(space):
  """Per thread, [(start ps, end ps, (op type, op name))] of the counted ops."""
  opcodes = _hlo_opcodes(space)
  plane, = [p for p in space.planes if p.name == _HOST_PLANE]
  hlo_ops, tf_ops = [], []
  for line in plane.lines:
    line_start = line.timestamp_ns * 1000
    hlo_ops.append([])
    tf_ops.append([])
    for event in line.events:
      metadata = plane.event_metadata[event.metadata_id]
      start = line_start + event.offset_ps
      interval = (start, start + event.duration_ps)
      stats = _stats(plane, event.stats)
      if "hlo_op" in stats:
        key = (opcodes[(stats["program_id"], metadata.name)], metadata.name)
        hlo_ops[-1].append(interval + (key,))
      elif metadata.display_name and metadata.name.endswith(
          ":" + metadata.display_name):
        name = metadata.name[:-len(metadata.display_name) - 1]
        tf_ops[-1].append(interval + ((metadata.display_name, name),))
  hlo_starts = sorted(op[0] for ops in hlo_ops for op in ops)

  def runs_executable(start, end):
    i = bisect.bisect_left(hlo_starts, start)
    return i < len(hlo_starts) and hlo_starts[i] < end

  return [line_hlo + [op for op in line_tf if not runs_executable(*op[:2])]
          for line_hlo, line_tf in zip(hlo_ops, tf_ops)]


def _self_pieces(events):
  """One thread's events as disjoint pieces, each its innermost event's."""
  pieces, stack, cursor = [], [], 0
  for start, end, key in sorted(events, key=lambda e: (e[0], -e[1])):
    while stack and stack[-1][0] <= start:
      cursor = _close(stack, cursor, pieces)
    if stack:
      pieces.append((cursor, start, stack[-1][1]))
      # Events of one thread nest; clamping keeps a clock-skewed one inside.
      end = min(end, stack[-1][0])
    cursor = start
    stack.append((end, key))
  while stack:
    cursor = _close(stack, cursor, pieces)
  return pieces


def _close(stack, cursor, pieces):
  end, key = stack.pop()
  pieces.append((cursor, end, key))
  return end


def _wall_times(pieces):
  """{key: ps}, a stretch that k pieces cover counting 1/k to each."""
  boundaries = sorted([(start, 1, key) for start, _, key in pieces]
                      + [(end, -1, key) for _, end, key in pieces])
  active = collections.Counter()
  running = 0
  wall = collections.defaultdict(float)
  previous = 0
  for time_ps, change, key in boundaries:
    if running:
      share = (time_ps - previous) / running
      for active_key, count in active.items():
        wall[active_key] += share * count
    previous = time_ps
    active[key] += change
    running += change
    if not active[key]:
      del active[key]
  return wall


def _ranked(space, steps, step_s):
  """(op types, op names) slowest first; each a list of dicts."""
  threads = _op_events(space)
  calls = collections.Counter(op[2] for ops in threads for op in ops)
  pieces = [piece for ops in threads for piece in _self_pieces(ops)]
  thread = collections.defaultdict(float)
  for start, end, key in pieces:
    thread[key] += end - start
  wall = _wall_times(pieces)

  def rows(labels):
    # `labels` picks the fields of an op's (type, name) key to group by.
    totals = collections.defaultdict(lambda: np.zeros(3))
    for key in calls:
      totals[labels(key)] += (wall[key], thread[key], calls[key])
    ranked = sorted(totals.items(), key=lambda item: -item[1][0])
    return [dict(label,
                 ms_per_step=wall_ps / 1e9 / steps,
                 percent_of_step=100 * wall_ps / 1e12 / (step_s * steps),
                 thread_ms_per_step=thread_ps / 1e9 / steps,
                 calls_per_step=count / steps)
            for label, (wall_ps, thread_ps, count) in ranked]

  return (rows(lambda key: (("type", key[0]),)),
          rows(lambda key: (("name", key[1]), ("type", key[0]))))


def _table(rows, label):
  lines = [f"{'ms/step':>9} {'% step':>7} {'thread ms':>10} {'calls':>7}  "
           f"op {label}"]
  for row in rows:
    lines.append(f"{row['ms_per_step']:9.2f} {row['percent_of_step']:6.1f}% "
                 f"{row['thread_ms_per_step']:10.2f} "
                 f"{row['calls_per_step']:7.0f}  {row[label]}")
  return "\n".join(lines)


def main(argv):
  del argv
  gflops = timing.matmul_gflops()
  cell = suite_cells.train_cell(FLAGS.model, FLAGS.config_name,
                                FLAGS.jit_compile)
  step, images, event_shape = cell.step, cell.images, cell.event_shape
  batch_size = int(images.shape[0])
  with tempfile.TemporaryDirectory() as logdir:
    times, path = _profile(step, images, FLAGS.steps, logdir)
    with open(path, "rb") as f:
      space = xplane_pb2.XSpace.FromString(f.read())
  step_s = float(np.mean(times))
  by_type, by_name = _ranked(space, FLAGS.steps, step_s)
  busy = sum(row["percent_of_step"] for row in by_type)
  mode = "xla" if FLAGS.jit_compile else "graph"
  results = {
      "model": FLAGS.model, "preset": FLAGS.config_name, "mode": mode,
      "batch_size": batch_size, "event_shape": list(event_shape),
      "profiled_steps": FLAGS.steps, "step_ms": 1e3 * step_s,
      "step_ms_each": [1e3 * t for t in times],
      "percent_of_step_in_ops": busy, "matmul_gflops": gflops,
      "top_op_types": by_type[:FLAGS.top],
      "top_op_names": by_name[:FLAGS.top],
  }
  print(f"{FLAGS.model}/{FLAGS.config_name} ({mode}): {FLAGS.steps} "
        f"profiled steps, {1e3 * step_s:.1f} ms/step, ops running "
        f"{busy:.1f}% of it; matmul {gflops:.1f} GFLOP/s")
  print(_table(by_type[:FLAGS.top], "type"))
  print(_table(by_name[:FLAGS.top], "name"))
  name = f"profile_{FLAGS.model}" + ("_xla" if FLAGS.jit_compile else "")
  results_io.report(results, name, FLAGS.output)


if __name__ == "__main__":
  app.run(main)
