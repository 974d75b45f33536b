"""Stop requests: SIGTERM (a cluster's notice before preemption) and SIGINT.

`StopOnSignal` turns either signal into a request that the training loop
sees between two steps; the loop then saves a checkpoint and raises
`Interrupted`, which the tools print as one line. A second SIGINT while
saving is ignored rather than left to corrupt the checkpoint being written.

Why not `tf.distribute.experimental.PreemptionCheckpointHandler`: it restores
the state file's latest checkpoint on construction (bypassing the fallback
over damaged checkpoints in `checkpointing`), adds its own counter variable
to the checkpoint, handles SIGTERM only, ends the process from inside the
library through its `exit_fn`, and with a user's `CheckpointManager` it
lets every worker write into the chief's folder. Its one strength, agreeing
on the step at which all workers stop, is done here by gathering every
worker's request after each step (`strategies.Workers.agree_on_stop`), so
every worker saves and stops after the same step.
"""

import contextlib
import signal
import threading

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(Exception):
  """Training stopped on a signal after saving; the same command resumes.

  Not an error: the tools print its message as one line and exit with the
  shell's code for the signal (128 + its number: 143 SIGTERM, 130 SIGINT).
  """

  def __init__(self, message, signal_number):
    super().__init__(message)
    self.exit_code = 128 + int(signal_number)


class StopOnSignal(contextlib.AbstractContextManager):
  """Records SIGTERM/SIGINT instead of dying; restores the handlers on exit.

  Outside the main thread (where Python cannot install handlers) it is
  inert and the signals keep their default behaviour.
  """

  def __init__(self):
    self.signal_number = None
    self._previous = {}

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for number in SIGNALS:
        self._previous[number] = signal.signal(number, self._record)
    return self

  def __exit__(self, *exc_info):
    for number, handler in self._previous.items():
      signal.signal(number, handler)
    self._previous.clear()
    return False

  def _record(self, signal_number, frame):
    del frame
    if self.signal_number is None:
      self.signal_number = signal_number
