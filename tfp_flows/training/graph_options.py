"""Grappler options for the training step: fewer passes over its large graph.

Before a `tf.function` first runs without XLA, grappler rewrites its graph,
and a deep flow's training step is a large graph: MaCow's CIFAR-10 step had
about 100,000 nodes (3,864 variables, each read, differentiated, updated by
Adam and averaged, and then a `tf.cond` around the update, since removed),
and grappler's passes took 129 s of its first call on a 2-core host
(Flow++'s: 44 s). Three parts of that cost the most for what they change:

- the memory optimiser (22 s of MaCow's 129; it added 6 nodes): its
  rewrites swap tensors out of an accelerator's memory, or recompute what a
  graph asks it to;
- the dependency optimiser (30 s over both rounds): it prunes control
  dependencies and identities (22,000 of MaCow's nodes), which the executor
  then runs instead;
- the second round of the passes (42 s, 18 of them the dependency
  optimiser's): after the first round it changed about 1% of the nodes.

With those off, three passes that change nothing in a CPU training step
still took 11 s of the 31.5 s left (MaCow, 125,648 nodes; grappler's own
log, `TF_CPP_VMODULE=meta_optimizer=1`): the layout optimiser (3.6 s; it
converts convolutions to NCHW for GPUs), the implementation selector
(0.7 s; it swaps in a function's GPU implementation) and the TFG passes
(4.1 s opening the round: shape inference and topological order; 2.6 s
closing it: control-flow sinking, with no `tf.cond` here to act on).

`lean_call_options()` turns those six off, everything else (constant
folding, common subexpressions, arithmetic simplification, the remapper's
fused convolutions, the loop optimiser for scanned steps) as grappler has
it. TensorFlow reads these options when it first instantiates a
function, from the calling thread's function-call options, which have no
public setter: `calling_with(options)` sets them for the calls inside it and
restores the caller's afterwards, so the rest of the process is untouched.
Each call of the step must be made inside it, or the function would be
instantiated (and optimised) a second time with the default options.

`config.train.lean_graph_optimization` (on by default) turns it on for the
training step. The step is not slower for it. `bazel run
//bench:graph_options -- --model=NAME` builds a step of each kind over the
same weights in one process and calls them in turn; on a 2-core host at a
197-211 GFLOP/s matmul (CIFAR-10 presets, batch 4, 40 calls each) the
median ratio of lean to default calls made next to each other was 1.003
for MaCow and 0.997 for Flow++, and the first calls took MaCow's 88 s
against 141 s, Flow++'s 43 s against 61 s. Timed in separate processes
instead, one after another, MaCow's step had looked 20-48% slower with
the first three passes off (medians 1.49-1.73 s against 1.17-1.24 s): the
host's speed drifting between processes, not the passes.
"""

import contextlib

import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2
# pylint: disable=g-direct-tensorflow-import
from tensorflow.python.eager import context
# pylint: enable=g-direct-tensorflow-import


def lean_call_options():
  """This thread's function-call options with the six parts above off."""
  current = context.context().function_call_options
  config = tf.compat.v1.ConfigProto()
  config.ParseFromString(current.config_proto_serialized)
  rewrite = config.graph_options.rewrite_options
  rewrite.memory_optimization = rewriter_config_pb2.RewriterConfig.NO_MEM_OPT
  rewrite.dependency_optimization = rewriter_config_pb2.RewriterConfig.OFF
  rewrite.meta_optimizer_iterations = rewriter_config_pb2.RewriterConfig.ONE
  rewrite.layout_optimizer = rewriter_config_pb2.RewriterConfig.OFF
  rewrite.implementation_selector = rewriter_config_pb2.RewriterConfig.OFF
  rewrite.disable_tfg_optimizer = True
  return context.FunctionCallOptions(executor_type=current.executor_type,
                                     config_proto=config)


@contextlib.contextmanager
def calling_with(options):
  """Functions first called inside are instantiated with `options`
  (`None`: with the caller's)."""
  if options is None:
    yield
    return
  eager = context.context()
  previous = eager.function_call_options
  eager.function_call_options = options
  try:
    yield
  finally:
    eager.function_call_options = previous
