"""The papers' comparison at CPU scale, over seeds: `bench:reproduce`.

Trains nine models on the embedded digits (RealNVP, Glow, MaCow with uniform
and with variational dequantization, Flow++, its three ablations and its
masked-conv hybrid; `reproduce_study.RUNS`), each with seeds 0, 1, 2, each
its family's shipped `default` preset at one common budget of training
images, then scores each on the whole test split (ELBO and the
importance-weighted bound, K = 16) and writes `docs/results.md`'s
comparison section, `docs/results_bpd.png`, `docs/samples_<run>.png` and the
per-seed figures, `bench/results/reproduce.json`.

The budget, 24,000 images (750 steps of 32), is sized so the whole study
takes about 5 hours on a host with a 52 GFLOP/s matmul: from the default
runs' times (docs/default_runs.md), 1,000 training images cost about 10 s
(Glow, MaCow), 18 s (RealNVP) and 41 s (Flow++) there, so one seed of the
nine runs costs about 230 s per 1,000 images, 3 seeds about 92 minutes per
8,000 images, plus the evaluations.

It runs in the background: the command starts the study detached, prints
where its log is, and returns. Each run has its own workdir under --root
(`<root>/<run>/seed_<k>/`), trained by `bin/train.py` and scored by
`bin/evaluate.py`, each in a process of its own, as a user would run them.
Stop it any time (`--stop`, or SIGTERM/Ctrl-C to the study: the training
process saves a checkpoint first) and re-run the same command: unfinished
runs resume, finished ones are skipped, and the report is rendered again.
Runs go seed by seed (every model's seed 0 first), so a study stopped early
still compares every model. `--report_only` renders what is there.

`--smoke` is the same machinery at seconds' scale (tiny presets, one seed, a
few steps), for CI.
"""

import os
import signal
import subprocess
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

from bench import reproduce_report
from bench import results_io
from bench import reproduce_study
from bench import timing
from tfp_flows.models import registry
from tfp_flows.training import workdir as workdir_lib

BUDGET_IMAGES = 24_000
SMOKE_IMAGES = 32

_WORKSPACE = os.environ.get(
    "BUILD_WORKSPACE_DIRECTORY",
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_DEFAULT_ROOT = os.path.join(
    os.environ.get("TFP_FLOWS_WORKDIR_ROOT")
    or os.path.join(os.path.expanduser("~"), "tfp_flows_runs"), "reproduce")

flags.DEFINE_string("root", _DEFAULT_ROOT, "The study's folder: one workdir "
                    "per run and seed, the log, study.json.")
flags.DEFINE_list("runs", [run.name for run in reproduce_study.RUNS],
                  "Models of the study, in order.")
flags.DEFINE_integer("seeds", None, "Seeds per model, 0 .. seeds - 1 "
                     "(default 3; --smoke: 1).")
flags.DEFINE_integer("images", None, "Training images per run (default "
                     f"{BUDGET_IMAGES:,}; --smoke: {SMOKE_IMAGES}). Fixed "
                     "when a study starts.")
flags.DEFINE_integer("num_dequant_samples", 16,
                     "K of the importance-weighted test bound.")
flags.DEFINE_boolean("smoke", False, "Tiny presets, a few steps (CI).")
flags.DEFINE_boolean("foreground", False, "Run in this process instead of "
                     "starting the study in the background.")
flags.DEFINE_boolean("stop", False, "Stop the study running in --root "
                     "(its training process saves first) and exit.")
flags.DEFINE_boolean("report_only", False, "Render the report from the "
                     "finished runs in --root; train nothing.")
flags.DEFINE_string("docs_dir", os.path.join(_WORKSPACE, "docs"),
                    "Where results.md's section, the plot and the sample "
                    "grids go.")
FLAGS = flags.FLAGS

PID_FILE = "reproduce.pid"
LOG_FILE = "reproduce.log"


def _log(message):
  print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _seeds():
  return list(range(FLAGS.seeds or (1 if FLAGS.smoke else 3)))


def _study_settings():
  preset = "tiny" if FLAGS.smoke else "default"
  images = FLAGS.images or (SMOKE_IMAGES if FLAGS.smoke else BUDGET_IMAGES)
  return {"preset": preset, "images": images,
          "num_dequant_samples": FLAGS.num_dequant_samples}


def _steps(run, settings):
  """Steps of `run` at the study's image budget; refuses an inexact one."""
  batch_size = registry.get_config(run.family,
                                   settings["preset"]).train.batch_size
  if settings["images"] % batch_size:
    raise reproduce_study.StudyError(
        f"--images={settings['images']} is not a whole number of "
        f"{run.name}'s batches of {batch_size}: pick a multiple of "
        f"{batch_size}.")
  return settings["images"] // batch_size


def _running_pid(root):
  """The pid of the study running in `root`, or None."""
  pid = reproduce_study.read_json(os.path.join(root, PID_FILE))
  if pid is None:
    return None
  try:
    os.kill(pid, 0)
  except (ProcessLookupError, PermissionError):
    return None
  return pid


def _command(script, *arguments):
  return [sys.executable, os.path.join(_WORKSPACE, "bin", script),
          *arguments]


def _override_flags(run):
  return [f"--config.{key}={value!r}" if isinstance(value, tuple)
          else f"--config.{key}={value}"
          for key, value in run.overrides.items()]


class _Driver:
  """Runs one process at a time; passes a stop request on to it."""

  def __init__(self, root, settings):
    self.root, self.settings = root, settings
    self.child = None
    self.stopping = False
    self.env = dict(os.environ, PYTHONPATH=_WORKSPACE)

  def request_stop(self, signal_number, frame):
    del frame
    self.stopping = True
    if self.child is not None and self.child.poll() is None:
      self.child.send_signal(signal_number)

  def _run_tool(self, command, log_path):
    """Runs `command` as the child a stop request reaches; its exit code."""
    with open(log_path, "a") as log:
      self.child = subprocess.Popen(command, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT)
      try:
        return self.child.wait()
      finally:
        self.child = None

  def train(self, run, seed, steps):
    """Trains (or resumes) one run; True when its training has finished."""
    run_dir = reproduce_study.workdir(self.root, run.name, seed)
    if reproduce_study.trained_steps(run_dir) == steps:
      return True
    os.makedirs(run_dir, exist_ok=True)
    record_path = os.path.join(run_dir, reproduce_study.RECORD_FILE)
    record = reproduce_study.read_json(record_path, {"segments": []})
    rate = timing.matmul_gflops()
    _log(f"Training {run.name} seed {seed}: {steps} steps "
         f"(matmul {rate:.0f} GFLOP/s); log in {run_dir}/train.log")
    command = _command(
        "train.py", f"--config={self._preset_file(run)}",
        f"--config.train.seed={seed}", f"--steps={steps}",
        f"--workdir={run_dir}", *_override_flags(run))
    start = time.perf_counter()
    returncode = self._run_tool(command, os.path.join(run_dir, "train.log"))
    record["segments"].append({
        "seconds": round(time.perf_counter() - start, 1),
        "matmul_gflops": round(rate, 1), "exit_code": returncode,
        "date": time.strftime("%Y-%m-%d %H:%M:%S")})
    workdir_lib.write_json(record_path, record)
    if returncode and not self.stopping:
      _log(f"{run.name} seed {seed} FAILED (exit {returncode}); see "
           f"{run_dir}/train.log")
    return returncode == 0

  def evaluated(self, run, seed):
    return os.path.isfile(os.path.join(
        reproduce_study.workdir(self.root, run.name, seed),
        reproduce_study.EVAL_FILE.format(
            k=self.settings["num_dequant_samples"])))

  def evaluate(self, run, seed):
    """Scores a trained run on the whole test split."""
    run_dir = reproduce_study.workdir(self.root, run.name, seed)
    k = self.settings["num_dequant_samples"]
    _log(f"Evaluating {run.name} seed {seed} (K = {k}).")
    start = time.perf_counter()
    returncode = self._run_tool(
        _command("evaluate.py", f"--workdir={run_dir}",
                 f"--num_dequant_samples={k}"),
        os.path.join(run_dir, "evaluate.log"))
    if returncode:
      if not self.stopping:
        _log(f"{run.name} seed {seed}: evaluation FAILED (exit "
             f"{returncode}); see {run_dir}/evaluate.log")
      return False
    record_path = os.path.join(run_dir, reproduce_study.RECORD_FILE)
    record = reproduce_study.read_json(record_path, {"segments": []})
    record["eval_seconds"] = round(time.perf_counter() - start, 1)
    workdir_lib.write_json(record_path, record)
    return True

  def _preset_file(self, run):
    return (os.path.join(_WORKSPACE, "configs", f"{run.family}.py") + ":"
            + self.settings["preset"])


def _runs():
  unknown = [name for name in FLAGS.runs
             if name not in reproduce_study.RUNS_BY_NAME]
  if unknown:
    raise reproduce_study.StudyError(
        f"Unknown --runs {unknown}; the study's runs are "
        f"{list(reproduce_study.RUNS_BY_NAME)}.")
  return [reproduce_study.RUNS_BY_NAME[name] for name in FLAGS.runs]


def _report(root, runs, settings, seeds):
  results = reproduce_study.collect(root, runs, seeds,
                                    settings["num_dequant_samples"])
  steps = sorted({_steps(run, settings) for run in runs})
  study = dict(settings, steps_note=" or ".join(
      f"{s:,} steps" for s in steps) + (" of 32 images" if not FLAGS.smoke
                                        else ""))
  path = reproduce_report.write(results, runs, study, seeds, FLAGS.docs_dir)
  # The per-seed figures; a smoke study's stay in its root.
  figures = (os.path.join(root, "reproduce.json") if FLAGS.smoke
             else results_io.default_path("reproduce"))
  workdir_lib.write_json(figures, {"study": study, "seeds": seeds,
                                   "runs": results})
  _log(f"Report: {path}, {FLAGS.docs_dir}/{reproduce_report.PLOT_FILE}, "
       f"{figures}")


def _study(root, runs, settings):
  """Trains and scores every unfinished run; returns the failures."""
  seeds = _seeds()
  driver = _Driver(root, settings)
  for number in (signal.SIGTERM, signal.SIGINT):
    signal.signal(number, driver.request_stop)
  failures = []
  for seed in seeds:
    for run in runs:
      if driver.stopping:
        break
      if driver.evaluated(run, seed):
        continue
      if not (driver.train(run, seed, _steps(run, settings))
              and driver.evaluate(run, seed)):
        if not driver.stopping:
          failures.append(f"{run.name} seed {seed}")
        continue
      _report(root, runs, settings, seeds)
  return failures, driver.stopping


def _start_in_background(root):
  os.makedirs(root, exist_ok=True)
  log_path = os.path.join(root, LOG_FILE)
  with open(log_path, "a") as log:
    process = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), *sys.argv[1:],
         "--foreground"],
        env=dict(os.environ, PYTHONPATH=_WORKSPACE,
                 BUILD_WORKSPACE_DIRECTORY=_WORKSPACE),
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
  print(f"Study running in the background (pid {process.pid}) in {root}.\n"
        f"Follow it: tail -f {log_path}\n"
        f"Stop it: bazel run //bench:reproduce -- --stop"
        f"{'' if root == _DEFAULT_ROOT else ' --root=' + root}\n"
        f"Re-running the same command resumes it.")


def main(argv):
  del argv
  root = os.path.abspath(FLAGS.root)
  settings = _study_settings()
  runs = _runs()
  running = _running_pid(root)
  if FLAGS.stop:
    if running is None:
      print(f"No study is running in {root}.")
    else:
      os.kill(running, signal.SIGTERM)
      print(f"Asked the study (pid {running}) to stop; its training process "
            f"saves a checkpoint first.")
    return 0
  if FLAGS.report_only:
    _report(root, runs, settings, _seeds())
    return 0
  if running is not None and running != os.getpid():
    raise reproduce_study.StudyError(
        f"A study is already running in {root} (pid {running}); stop it "
        f"first with --stop.")
  reproduce_study.check_settings(root, settings)
  if not FLAGS.foreground:
    _start_in_background(root)
    return 0
  pid_path = os.path.join(root, PID_FILE)
  workdir_lib.write_json(pid_path, os.getpid())
  try:
    _log(f"Study in {root}: {len(runs)} models x {len(_seeds())} seeds, "
         f"{settings['images']:,} images each, preset {settings['preset']}.")
    failures, stopped = _study(root, runs, settings)
    _report(root, runs, settings, _seeds())
  finally:
    os.remove(pid_path)
  if stopped:
    _log("Stopped; re-run the same command to resume.")
    return 143
  if failures:
    _log(f"Failed: {', '.join(failures)}.")
    return 1
  _log("Study complete.")
  return 0


if __name__ == "__main__":
  try:
    app.run(main)
  except reproduce_study.StudyError as error:
    sys.exit(f"reproduce: {error}")
