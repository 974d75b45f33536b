"""Counting the ops of a traced TensorFlow function (benchmarks and tests)."""

import collections


def op_counts(concrete_function):
  """`Counter` of op types in a traced function, nested bodies included.

  A `tf.while_loop`'s or `tf.cond`'s body is a function in the graph's
  library, not a node of the graph: counting both is what tells whether a
  graph grows with its input (a Python loop unrolled into it) or not.
  """
  graph_def = concrete_function.graph.as_graph_def()
  nodes = list(graph_def.node)
  for function in graph_def.library.function:
    nodes.extend(function.node_def)
  return collections.Counter(node.op for node in nodes)
