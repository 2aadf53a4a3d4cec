"""Save demucs' own unit-test model (a tiny random HDemucs) as a checkpoint. A stand-in for
the wiring test only: real demucs weights are not on PyPI and cannot exist on this machine.

Run on the separate env:  .venvs/separate/bin/python tests/tools/make_tiny_demucs.py OUT.th
"""

import sys

import torch
from demucs.pretrained import demucs_unittest
from demucs.states import get_state

torch.manual_seed(0)
model = demucs_unittest()
args, kwargs = model._init_args_kwargs  # recorded by demucs' @capture_init
# The package layout demucs.states.load_model reads (serialize_model would need omegaconf).
package = {"klass": model.__class__, "args": args, "kwargs": kwargs, "state": get_state(model, None), "training_args": {}}
torch.save(package, sys.argv[1])
