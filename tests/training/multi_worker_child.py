"""One worker of `multi_worker_test`'s light cluster: no model, just agreeing.

    multi_worker_child.py RESTORED_STEP

With `TF_CONFIG` set, makes the trainer's multi-worker strategy and
`strategies.Workers`, checks that every worker restored the same step
(printing `same step` or the `ClusterError`; the test gives the workers
different steps, and one cluster start checks both behaviours), then runs
"steps" that each agree on stop requests as the training loop does,
printing `step <N>` and, once a stop is agreed, `stopped after step <N> by
<SIGNAL>` before exiting with 128 + the signal's number.
"""

import signal
import sys
import time

from tfp_flows import errors
from tfp_flows.training import preemption
from tfp_flows.training import strategies

_MAX_STEPS = 2000


def main(restored_step):
  workers = strategies.Workers(strategies.make_strategy("multi_worker"))
  try:
    workers.check_same_step(restored_step, "checkpoints")
    print("same step", flush=True)
  except errors.ClusterError as error:
    print(error, flush=True)
  with preemption.StopOnSignal() as stop:
    for step in range(1, _MAX_STEPS + 1):
      agreed = workers.agree_on_stop(stop.signal_number)
      print(f"step {step}", flush=True)
      if agreed is not None:
        print(f"stopped after step {step} by {signal.Signals(agreed).name}",
              flush=True)
        return 128 + agreed
      # Leaves the test time to signal one worker mid-run.
      time.sleep(0.02)
  return 0


if __name__ == "__main__":
  sys.exit(main(int(sys.argv[1])))
