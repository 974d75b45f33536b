"""Kills, preemption signals and Ctrl-C against the real `bin/train.py`.

One run of a tiny Glow (20 steps, a checkpoint every 2) is interrupted at 12
moments from a seeded schedule, restarted with the same command after each,
and must end with exactly the parameters of an uninterrupted run:

- SIGKILL at 10 moments: during start-up (no checkpoint yet), right after a
  step is logged (before or during its checkpoint), and INSIDE a checkpoint
  write (the test-only hook `checkpointing.PAUSE_IN_SAVE_ENV` pauses the
  save after its files are written and before the state file names them);
- SIGTERM and SIGINT mid-run: the trainer saves, prints one line and exits
  with 143 / 130, and the next run resumes from that step.
"""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf

from tests.training import final_checkpoints
from tfp_flows.training import checkpointing

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_STEPS = 20
_CHECKPOINT_EVERY = 2
_TIMEOUT_S = 240


def _schedule(seed=0):
  """The 12 interruptions in run order: (signal, trigger, step) triples.

  `trigger` is "start" (the model line, before any step), "step" (the line
  logging `step`) or "save" (paused inside the write of ckpt-`step`). Each
  moment's step lies beyond wherever the previous interruption can have left
  the run (a signal may land one step late), so every restart progresses;
  the seed picks the order of the kinds.
  """
  kinds = ([(signal.SIGKILL, "save")] * 4 + [(signal.SIGKILL, "step")] * 5
           + [(signal.SIGTERM, "step"), (signal.SIGINT, "step")])
  order = np.random.default_rng(seed).permutation(len(kinds))
  schedule, step = [(signal.SIGKILL, "start", 0)], 0
  for signal_number, trigger in (kinds[i] for i in order):
    step += 1
    if trigger == "save":
      step += step % _CHECKPOINT_EVERY
    schedule.append((signal_number, trigger, step))
    if signal_number != signal.SIGKILL:
      step += 1
  assert step < _STEPS, schedule
  return schedule


def _env(pause_step=None):
  env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL", "TMPDIR")
         if key in os.environ}
  env.update(PYTHONPATH=_ROOT, TF_USE_LEGACY_KERAS="1",
             TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
  if pause_step is not None:
    env[checkpointing.PAUSE_IN_SAVE_ENV] = str(pause_step)
  return env


def _command(workdir):
  return [sys.executable, os.path.join(_ROOT, "bin", "train.py"),
          "--config=configs/glow.py:tiny", f"--steps={_STEPS}",
          f"--workdir={workdir}",
          f"--config.train.checkpoint_every={_CHECKPOINT_EVERY}",
          "--config.train.log_every=1", "--config.eval.batch_size=500"]


def _trigger_line(trigger, step):
  if trigger == "start":
    return "Model glow:"
  if trigger == "save":
    return checkpointing.PAUSED_MESSAGE
  return f"step {step}/{_STEPS} |"


class FaultInjectionTest(tf.test.TestCase):

  def _run_to_end(self, workdir):
    result = subprocess.run(_command(workdir), cwd=_ROOT, env=_env(),
                            capture_output=True, text=True,
                            timeout=_TIMEOUT_S, check=False)
    self.assertEqual(result.returncode, 0, result.stderr[-3000:])
    return result.stdout

  def _interrupt(self, workdir, signal_number, trigger, step):
    """Starts the run, sends `signal_number` at the trigger; returns output."""
    process = subprocess.Popen(
        _command(workdir), cwd=_ROOT,
        env=_env(step if trigger == "save" else None),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wanted, seen = _trigger_line(trigger, step), []
    deadline = time.monotonic() + _TIMEOUT_S
    try:
      for line in process.stdout:
        seen.append(line)
        if wanted in line:
          process.send_signal(signal_number)
          break
        self.assertLess(time.monotonic(), deadline, "".join(seen))
      else:
        self.fail(f"never saw {wanted!r}:\n{''.join(seen)}"
                  f"{process.stderr.read()[-3000:]}")
      stdout, stderr = process.communicate(timeout=_TIMEOUT_S)
    finally:
      if process.poll() is None:
        process.kill()
        process.wait()
    return process.returncode, "".join(seen) + stdout, stderr

  def test_interrupted_run_ends_where_an_uninterrupted_one_does(self):
    straight = os.path.join(self.get_temp_dir(), "straight")
    interrupted = os.path.join(self.get_temp_dir(), "interrupted")
    self._run_to_end(straight)

    outcomes, resume_at = [], None
    for signal_number, trigger, step in _schedule():
      code, stdout, stderr = self._interrupt(interrupted, signal_number,
                                             trigger, step)
      name = signal.Signals(signal_number).name
      outcomes.append((name, trigger, step, code))
      if resume_at is not None:
        self.assertIn(f"at step {resume_at}.", stdout)
        resume_at = None
      if signal_number == signal.SIGKILL:
        self.assertEqual(code, -signal.SIGKILL, stderr[-2000:])
        continue
      # A notice or Ctrl-C: saved at the step being run, one line, no
      # traceback, the shell's exit code; the next start resumes there.
      self.assertEqual(code, 128 + signal_number, stderr[-2000:])
      self.assertNotIn("Traceback", stderr)
      self.assertRegex(stderr, rf"{name} at step \d+/{_STEPS}: saved .*ckpt-"
                       r"\d+; run the same command to resume\.")
      resume_at = int(stderr.split(" at step ")[1].split("/")[0])
      self.assertIn(resume_at, (step, step + 1))
      self.assertTrue(os.path.exists(os.path.join(
          interrupted, "checkpoints", f"ckpt-{resume_at}.index")))
    stdout = self._run_to_end(interrupted)
    self.assertIn("Resumed from", stdout)
    self.assertLen(outcomes, 12, outcomes)
    self.assertEqual(sum(o[0] == "SIGKILL" for o in outcomes), 10, outcomes)
    self.assertEqual(sum(o[1] == "save" for o in outcomes), 4, outcomes)

    final_checkpoints.assert_same(self, straight, interrupted)
    # No leftover of the interrupted writes.
    self.assertEmpty(checkpointing.incomplete_writes(
        os.path.join(interrupted, "checkpoints")))


if __name__ == "__main__":
  tf.test.main()
