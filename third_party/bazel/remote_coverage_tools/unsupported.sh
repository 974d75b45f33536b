#!/bin/sh
echo "remote_coverage_tools: offline stand-in; 'bazel coverage' is not supported in this workspace" >&2
exit 1
