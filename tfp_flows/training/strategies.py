"""Distribution strategies by name, and what the workers of a cluster share.

`multi_worker` trains on a cluster (`TF_CONFIG`) with
`tf.distribute.MultiWorkerMirroredStrategy`. Every worker runs the same
command on the same global batches; only the chief writes the workdir
(`Workers.chief`). A dead worker must stop the others rather than leave them
waiting forever in a collective. Measured with TF 2.21 on one machine: a
killed worker's connections close, which fails the collective waiting on it
at once; a frozen one (SIGSTOP) stops sending heartbeats, and the
coordination service that the strategy starts aborts every collective about
10 s later. Each collective also gives up after `COLLECTIVE_TIMEOUT_S`, for a
worker that hangs with its heartbeats alive. `Workers.raise_cluster_errors`
turns these errors into one line.
"""

import contextlib
import json
import os
import re
import signal

import numpy as np
import tensorflow as tf

from tfp_flows import errors

STRATEGIES = ("default", "mirrored", "multi_worker")

# Longer than anything one worker does alone between two collectives (the
# chief's evaluation during training, a checkpoint write), so that only a
# worker that hangs reaches it.
COLLECTIVE_TIMEOUT_S = 600.0

_WORKER_JOBS = ("chief", "worker")
# How TF names a task in its errors: /job:worker/replica:0/task:1.
_TASK = re.compile(r"/job:(\w+)(?:/replica:\d+)?/task:(\d+)")


def make_strategy(name, log=None):
  """`default` (one device), `mirrored` (all local devices) or `multi_worker`.

  `multi_worker` reads the cluster from the `TF_CONFIG` environment variable,
  as `tf.distribute.MultiWorkerMirroredStrategy` does, and waits until every
  worker has started (saying so through `log`, if given). It must be made
  before TensorFlow runs any op (the strategy configures the runtime).
  """
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    task = _check_tf_config()
    if log:
      # Measured: TensorFlow's wait lasts minutes at least (13 before it was
      # killed) and ignores SIGINT and SIGTERM, so say what is going on.
      log(f"Task {task['type']} {task['index']}: waiting for the other tasks "
          f"in TF_CONFIG to start (until they do, only SIGKILL stops it).")
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=COLLECTIVE_TIMEOUT_S))
    # TF's runtime now catches SIGTERM for its own preemption handling,
    # unused here: a SIGTERM outside the training loop (which records it)
    # would be lost. Give it back the handler Python knows, the default.
    signal.signal(signal.SIGTERM, signal.getsignal(signal.SIGTERM))
    return strategy
  raise errors.ConfigError(
      f"Unknown strategy {name!r} (--strategy); choose one of {STRATEGIES}.")


def _check_tf_config():
  """`TF_CONFIG`'s task; raises `ConfigError` unless a chief or worker."""
  example = ('e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:2222", '
             '"host2:2222"]}, "task": {"type": "worker", "index": 0}}\'')
  raw = os.environ.get("TF_CONFIG", "")
  if not raw.strip():
    # Without it the strategy would train alone, and every machine started
    # this way would write the same workdir as a chief.
    raise errors.ConfigError(
        f"--strategy=multi_worker needs the cluster in TF_CONFIG ({example}); "
        f"--strategy=mirrored trains on one machine's devices.")
  try:
    tf_config = json.loads(raw)
  except json.JSONDecodeError as error:
    raise errors.ConfigError(f"TF_CONFIG is not JSON ({error}); {example}."
                             ) from None
  cluster = tf_config.get("cluster") if isinstance(tf_config, dict) else None
  task = tf_config.get("task") if isinstance(tf_config, dict) else None
  if not isinstance(cluster, dict) or not isinstance(task, dict):
    raise errors.ConfigError(
        f"TF_CONFIG needs a \"cluster\" and a \"task\"; {example}.")
  task_type, index = task.get("type"), task.get("index")
  hosts = cluster.get(task_type)
  if (task_type not in _WORKER_JOBS or not isinstance(index, int)
      or not isinstance(hosts, list) or not 0 <= index < len(hosts)):
    raise errors.ConfigError(
        f"TF_CONFIG's task {task} is not one of its cluster's \"chief\" or "
        f"\"worker\" tasks ({cluster}); {example}.")
  return task


class Workers:
  """This process's part in a run: chief or not, and what workers agree on.

  With one process (`default`, `mirrored`) it is the chief, and agreeing
  costs nothing: no collective is run.
  """

  def __init__(self, strategy):
    self.multi_worker = isinstance(strategy,
                                   tf.distribute.MultiWorkerMirroredStrategy)
    self.chief = bool(strategy.extended.should_checkpoint)
    self._task = None
    self._gather_fn = None
    if self.multi_worker:
      resolver = strategy.cluster_resolver
      self._task = (resolver.task_type, str(resolver.task_id))

      def gather(values):
        def replica_fn():
          # Made inside the replica function, so it lives on its device.
          local = tf.identity(values)[tf.newaxis]
          return tf.distribute.get_replica_context().all_gather(local, axis=0)
        return strategy.experimental_local_results(strategy.run(replica_fn))[0]

      self._gather_fn = tf.function(gather)

  @property
  def name(self):
    """`"worker 1"`: this task in `TF_CONFIG`'s words."""
    return " ".join(self._task) if self._task else "chief"

  def _gather(self, values):
    """Every replica's int `values`, in replica order (the chief's first)."""
    values = np.asarray(values, np.int64)
    if self._gather_fn is None:
      return values[np.newaxis]
    return self._gather_fn(tf.constant(values)).numpy()

  def agree_on_stop(self, signal_number):
    """The stop request of the whole cluster, the same on every worker.

    Every worker calls it once per step with its own request (a signal
    number, or None); all then get the first worker's request, or None
    when none has one, so all save and stop after the same step. One
    process just gets its own request back.
    """
    if not self.multi_worker:
      return signal_number
    requests = [int(n) for n in self._gather([signal_number or 0])[:, 0] if n]
    return requests[0] if requests else None

  def check_same_step(self, step, checkpoint_dir):
    """Raises `ClusterError` unless every worker restored the same step."""
    steps = self._gather([step])[:, 0]
    if len(set(steps.tolist())) > 1:
      raise errors.ClusterError(
          f"The workers restored different steps ({', '.join(map(str, steps))}"
          f" in task order) from {checkpoint_dir!r}: every worker must see "
          f"the same workdir (on a file system they share). Nothing was "
          f"written.")

  @contextlib.contextmanager
  def raise_cluster_errors(self, step, checkpoint_dir):
    """Turns TF's errors for a dead or hung worker into one `ClusterError`.

    Args:
      step: the run's step variable (the message names where it stopped).
      checkpoint_dir: where the run resumes from.

    Yields:
      Nothing; only the errors of the body are converted.
    """
    failures = ((tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
                 tf.errors.AbortedError) if self.multi_worker else ())
    try:
      yield
    except failures as error:
      lost = sorted({" ".join(task) for task in _TASK.findall(str(error))
                     if task != self._task})
      who = f"lost {' and '.join(lost)}" if lost else "lost a worker"
      if isinstance(error, tf.errors.DeadlineExceededError):
        how = f"a collective waited {COLLECTIVE_TIMEOUT_S:g} s for it"
      else:
        how = "it died or became unreachable"
      raise errors.ClusterError(
          f"The cluster {who} after step {int(step.numpy())} ({how}), so "
          f"{self.name} stopped too. Start every worker again with the same "
          f"command to resume from the last checkpoint in "
          f"{checkpoint_dir!r}.") from None
