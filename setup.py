"""Packaging for tfp_flows: `pip install .` from the repository root.

The pinned dependencies live in requirements.txt, which this file reads, so
the pins have one source of truth. The command-line tools in bin/ run under
Bazel and are not installed.
"""

import pathlib

import setuptools

_HERE = pathlib.Path(__file__).resolve().parent


def _requirements():
  """The requirement lines of requirements.txt, without comments or blanks."""
  requirements = []
  for line in (_HERE / "requirements.txt").read_text(encoding="utf-8").splitlines():
    line = line.split("#", 1)[0].strip()
    if line:
      requirements.append(line)
  return requirements


def _long_description():
  """README.md's text, or "" when there is no README."""
  readme = _HERE / "README.md"
  if readme.is_file():
    return readme.read_text(encoding="utf-8")
  return ""


setuptools.setup(
    name="tfp_flows",
    version="0.1.0",
    description=("Normalizing flows for images (RealNVP, Glow, Flow++, "
                 "MaCow), built as TensorFlow Probability bijectors."),
    long_description=_long_description(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=setuptools.find_packages(include=["tfp_flows", "tfp_flows.*"]),
    package_data={
        "tfp_flows.data": [
            "embedded/*.npz",
            "embedded/*.json",
            "embedded/*.md",
        ],
        "tfp_flows": [
            "pretrained/MANIFEST.json",
            "pretrained/*/*",
        ],
    },
    include_package_data=False,
    install_requires=_requirements(),
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python :: 3",
        "Intended Audience :: Science/Research",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
