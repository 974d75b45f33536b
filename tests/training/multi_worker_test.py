"""Two workers of the real `bin/train.py` on 127.0.0.1 (`TF_CONFIG`).

`test_workers_train_stop_together_and_resume`: one run in two parts,
against a single-process run of the same config:

1. The chief (worker 0) and worker 1 start with different workdirs; worker 1
   is SIGKILLed after it logs step 3. The chief must stop within a bounded
   time with one `error:` line naming worker 1 (no hang, no traceback), and
   worker 1 must have written nothing: its workdir does not exist.
2. Both start again on the chief's workdir, resume from its last checkpoint
   and finish; worker 1's temporary checkpoint folders are gone, and every
   summary file in the workdir is the chief's.

The logged losses and the final weights must match the single-process run:
each worker takes its replica's half of the same global batch.

`test_one_workers_signal_stops_all_at_one_step` runs a light cluster
(`multi_worker_child.py`: no model) for what the trainer's workers agree on:
a SIGTERM sent to one worker stops both after the same step, and workers
that restored different steps both refuse to train.
"""

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import tensorflow as tf

from tests.training import final_checkpoints
from tfp_flows.training import workdir as workdir_lib

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_STEPS = 8
_CHECKPOINT_EVERY = 2
_KILL_AFTER_STEP = 3
# Generous: on a loaded 2-core machine part 2 took up to 130 s.
_TIMEOUT_S = 300
# Measured: the survivor prints its error at once and exits 2-20 s later
# (TensorFlow's shutdown); a frozen worker's heartbeats stop after ~10 s.
_NOTICE_S = 90
_LOSS = re.compile(r"^step (\d+)/\d+ \| loss ([\d.]+) bits/dim", re.MULTILINE)


def _free_ports(count):
  with contextlib.ExitStack() as stack:
    sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
    for s in sockets:
      s.bind(("127.0.0.1", 0))
    return [s.getsockname()[1] for s in sockets]


def _tf_configs():
  """`TF_CONFIG` of worker 0 (the chief) and worker 1 on free local ports."""
  cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
  return [{"cluster": cluster, "task": {"type": "worker", "index": index}}
          for index in range(2)]


def _env(tf_config=None, tmpdir=None):
  env = {key: os.environ[key] for key in ("PATH", "LANG", "LC_ALL", "TMPDIR")
         if key in os.environ}
  env.update(PYTHONPATH=_ROOT, TF_USE_LEGACY_KERAS="1",
             TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
  if tf_config is not None:
    env["TF_CONFIG"] = json.dumps(tf_config)
  if tmpdir is not None:
    env["TMPDIR"] = tmpdir
  return env


def _command(workdir, strategy):
  return [sys.executable, os.path.join(_ROOT, "bin", "train.py"),
          "--config=configs/glow.py:tiny", f"--steps={_STEPS}",
          f"--workdir={workdir}", f"--strategy={strategy}",
          f"--config.train.checkpoint_every={_CHECKPOINT_EVERY}",
          "--config.train.log_every=1", "--config.eval.batch_size=500"]


def _losses(stdout):
  return {int(step): float(loss) for step, loss in _LOSS.findall(stdout)}


class MultiWorkerTest(tf.test.TestCase):

  def _start(self, command, tf_config=None, tmpdir=None):
    process = subprocess.Popen(
        command, cwd=_ROOT, env=_env(tf_config, tmpdir),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    self.addCleanup(self._stop, process)
    return process

  def _stop(self, process):
    if process.poll() is None:
      process.kill()
    process.communicate()

  def _start_cluster(self, workdirs, worker_tmpdir):
    """Starts the chief (worker 0) and worker 1 in `workdirs`."""
    return [self._start(_command(workdir, "multi_worker"), tf_config,
                        tmpdir=worker_tmpdir if index else None)
            for index, (workdir, tf_config) in enumerate(
                zip(workdirs, _tf_configs()))]

  def _finish(self, process, timeout=_TIMEOUT_S):
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr

  def test_workers_train_stop_together_and_resume(self):
    tmp = self.get_temp_dir()
    workdir = os.path.join(tmp, "run")
    own_workdir = os.path.join(tmp, "worker_1_own_workdir")
    worker_tmpdir = os.path.join(tmp, "worker_1_tmp")
    os.makedirs(worker_tmpdir)
    start = time.monotonic()

    # Part 1: worker 1 dies mid-run.
    chief, worker = self._start_cluster([workdir, own_workdir], worker_tmpdir)
    wanted, seen = f"step {_KILL_AFTER_STEP}/{_STEPS} |", []
    for line in worker.stdout:
      seen.append(line)
      if wanted in line:
        worker.send_signal(signal.SIGKILL)
        break
    else:
      self.fail(f"worker 1 never logged {wanted!r}:\n{''.join(seen)}"
                f"{worker.stderr.read()[-3000:]}")
    killed = time.monotonic()
    # The reference run uses the CPU while the chief notices and exits.
    reference_dir = os.path.join(tmp, "single_process")
    reference = self._start(_command(reference_dir, "default"))
    code, chief_out, chief_err = self._finish(chief, timeout=_NOTICE_S)
    noticed_s = time.monotonic() - killed
    self.assertEqual(code, 1, chief_err[-3000:])
    self.assertNotIn("Traceback", chief_err)
    lines = [line for line in chief_err.splitlines() if line.strip()]
    self.assertRegex(
        lines[-1], r"^error: The cluster lost worker 1 after step \d+ \(it "
        r"died or became unreachable\), so worker 0 stopped too\. Start "
        r"every worker again with the same command to resume from the last "
        r"checkpoint in '.*checkpoints'\.$")
    stopped_after = int(re.search(r"after step (\d+)", lines[-1]).group(1))
    self.assertBetween(stopped_after, _KILL_AFTER_STEP, _STEPS - 1)
    # Worker 1 wrote nothing in its own workdir, not even at the save of
    # step 2.
    self.assertFalse(os.path.exists(own_workdir))
    saved = sorted(int(name[len("ckpt-"):-len(".index")])
                   for name in os.listdir(os.path.join(workdir,
                                                       "checkpoints"))
                   if name.endswith(".index"))
    self.assertIn(_CHECKPOINT_EVERY, saved)
    self.assertLessEqual(max(saved), stopped_after)

    # Part 2: both start again on the chief's workdir and finish.
    chief_pids = {chief.pid}
    chief, worker = self._start_cluster([workdir, workdir], worker_tmpdir)
    chief_pids.add(chief.pid)
    part_2 = time.monotonic()
    code, resumed_out, stderr = self._finish(chief)
    self.assertEqual(code, 0, stderr[-3000:])
    code, worker_out, stderr = self._finish(worker)
    self.assertEqual(code, 0, stderr[-3000:])
    part_2_s = time.monotonic() - part_2
    resumed_at = max(saved)
    for stdout in (resumed_out, worker_out):
      self.assertIn(f"at step {resumed_at}.", stdout)
    self.assertIn(f"Worker 1 trained to step {_STEPS}; the chief evaluates",
                  worker_out)
    # TF's autograph keeps its generated code there too.
    self.assertEmpty([name for name in os.listdir(worker_tmpdir)
                      if not name.startswith("__")])
    for name in (workdir_lib.METRICS_FILE, workdir_lib.SAMPLES_FILE):
      self.assertTrue(os.path.exists(os.path.join(workdir, name)), name)
    summaries = os.listdir(os.path.join(workdir, workdir_lib.SUMMARY_DIR))
    self.assertNotEmpty(summaries)
    # Event files are named ...tfevents.<time>.<host>.<pid>.<n>.v2.
    self.assertEqual({int(name.split(".")[-3]) for name in summaries},
                     chief_pids, summaries)

    # The same run as one process: same losses, same weights.
    code, reference_out, stderr = self._finish(reference)
    self.assertEqual(code, 0, stderr[-3000:])
    expected = _losses(reference_out)
    self.assertEqual(sorted(expected), list(range(1, _STEPS + 1)))
    actual = _losses(chief_out)
    actual.update(_losses(resumed_out))
    self.assertEqual(sorted(actual), sorted(expected))
    for step, loss in expected.items():
      # Logged with 4 decimals; the replicas only reorder a sum.
      self.assertAllClose(actual[step], loss, atol=2e-4, msg=f"step {step}")
    # Measured (6 steps): at most 3.9e-8 apart; a wrong replica slice or a
    # missing all-reduce moves weights by about a learning-rate step.
    final_checkpoints.assert_same(self, reference_dir, workdir, atol=1e-5,
                                  rtol=1e-5)
    print(f"\nworker 1 killed after step {_KILL_AFTER_STEP}; the chief "
          f"stopped after step {stopped_after}, {noticed_s:.1f} s later; "
          f"part 1 {killed - start:.0f} s to the kill; part 2 (resumed at "
          f"step {resumed_at}) {part_2_s:.0f} s; "
          f"{time.monotonic() - start:.0f} s in all.")

  def test_one_workers_signal_stops_all_at_one_step(self):
    child = os.path.join(_ROOT, "tests", "training", "multi_worker_child.py")
    # The chief "restored" step 4 and worker 1 nothing.
    chief, worker = [
        self._start([sys.executable, child, str(restored)], tf_config)
        for tf_config, restored in zip(_tf_configs(), (4, 0))]
    seen = {chief: "", worker: ""}
    for line in worker.stdout:
      seen[worker] += line
      if line.startswith("step 20"):
        worker.send_signal(signal.SIGTERM)
        break
    outputs = []
    for process in (chief, worker):
      code, stdout, stderr = self._finish(process, timeout=_NOTICE_S)
      stdout = seen[process] + stdout
      self.assertEqual(code, 128 + signal.SIGTERM, stdout + stderr[-3000:])
      self.assertStartsWith(
          stdout, "The workers restored different steps (4, 0 in task "
          "order) from 'checkpoints': every worker must see the same "
          "workdir")
      outputs.append(stdout.splitlines()[-1])
    self.assertRegex(outputs[0], r"^stopped after step \d+ by SIGTERM$")
    self.assertEqual(outputs[0], outputs[1])


if __name__ == "__main__":
  tf.test.main()
